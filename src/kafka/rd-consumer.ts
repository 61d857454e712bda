/**
 * The client's rdkafka-style consumer (`KafkaConsumer`), for reading a topic outside any consumer
 * group: `assign` partitions at chosen offsets and `consume` bounded batches, with no join and no
 * commit, so it never touches the workers' group. TopicReader (bounded reads, the dead-letter
 * tools) and TopicTail (a running tail, the dashboard's counts per state) are built on it.
 */
import { VectorizeError } from '../worker/errors.ts'
import type { Logger } from '../observability/logger.ts'
import type { KafkaSettings } from './client.ts'
import { loadModule, rdkafkaConfig, throttledWarn } from './client.ts'
import { kafkaError, type UnavailableCode } from './errors.ts'
import type { VendorModule, VendorRdConsumer, VendorRdMessage } from './vendor.ts'

export const requestTimeoutMs = 10_000

export interface TopicRecord {
  readonly partition: number
  readonly offset: number
  readonly key: Buffer | undefined
  readonly value: Buffer
  /** Milliseconds since the epoch. */
  readonly timestamp: number
  /** Every header, by name; a repeated name keeps its last value. */
  readonly headers: ReadonlyMap<string, Buffer>
}

export interface RdConsumerDeps {
  readonly logger: Logger
  readonly load?: () => Promise<VendorModule>
}

/**
 * A connected consumer. `group.id` is required by librdkafka even though the consumer never joins
 * its group (nothing here subscribes or commits); give it a name of its own, never the workers'.
 */
export async function openRdConsumer(
  settings: KafkaSettings,
  deps: RdConsumerDeps,
  options: { readonly groupId: string; readonly code: UnavailableCode; readonly what: string },
): Promise<VendorRdConsumer> {
  const module = await (deps.load ?? loadModule)()
  const KafkaConsumer = module.default?.KafkaConsumer
  if (!KafkaConsumer)
    throw new VectorizeError('config_invalid', 'the Kafka client has no KafkaConsumer')
  const consumer = new KafkaConsumer(
    {
      ...rdkafkaConfig(settings),
      'group.id': options.groupId,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'enable.partition.eof': true,
    },
    {},
  )
  const logger = deps.logger
  const warn = throttledWarn(logger) // librdkafka repeats an error while a broker is down
  consumer.on('event.error', (err) => warn(`${options.what} error`, { err: String(err) }))
  await callback<void>((cb) => consumer.connect({ timeout: requestTimeoutMs }, cb)).catch(
    (err: unknown) => {
      throw kafkaError(err, options.code, `cannot connect the ${options.what}`)
    },
  )
  return consumer
}

/** The topic's partition ids; a missing topic is `not_found`. */
export async function partitionsOf(
  consumer: VendorRdConsumer,
  topic: string,
  code: UnavailableCode,
): Promise<number[]> {
  const metadata = await callback<{ topics: { name: string; partitions: { id: number }[] }[] }>(
    (cb) => consumer.getMetadata({ topic, timeout: requestTimeoutMs }, cb),
  ).catch((err: unknown) => {
    throw kafkaError(err, code, `cannot read the metadata of ${topic}`)
  })
  const found = metadata.topics.find((t) => t.name === topic)
  if (!found || found.partitions.length === 0) {
    throw new VectorizeError('not_found', `Kafka topic ${topic} does not exist`, {
      details: { topic },
    })
  }
  return found.partitions.map((p) => p.id).sort((a, b) => a - b)
}

export function toRecord(message: VendorRdMessage): TopicRecord {
  const headers = new Map<string, Buffer>()
  for (const header of message.headers ?? []) {
    for (const [name, value] of Object.entries(header)) headers.set(name, Buffer.from(value))
  }
  const key = message.key == null ? undefined : Buffer.from(message.key)
  return {
    partition: message.partition,
    offset: message.offset,
    key,
    value: message.value ?? Buffer.alloc(0),
    timestamp: message.timestamp ?? 0,
    headers,
  }
}

export function callback<T>(start: (cb: (err: unknown, value: T) => void) => unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((err, value) => (err ? reject(toError(err)) : resolve(value)))
  })
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : Object.assign(new Error(String(err)), { cause: err })
}
