/**
 * KafkaPublisher: `vectorize submit` and `ingest` on Kafka. Tasks go to `kafka.topics.tasks`
 * through an idempotent acks=all producer, keyed by `task_id` when the message is JSON with one,
 * so every delivery of one task lands on the same partition and stays ordered behind its earlier
 * versions. `publish` resolves once every message is acknowledged.
 */
import type { KafkaDeps, KafkaSettings } from '../kafka/client.ts'
import { openClient } from '../kafka/open.ts'
import { asBuffer, Producer } from '../kafka/producer.ts'
import type { Logger } from '../observability/logger.ts'
import { taskIdOf } from '../protocol/parse.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'
import type { TaskPublisher } from './source.ts'

export type { KafkaDeps } from '../kafka/client.ts'

export interface KafkaPublisherConfig {
  readonly kafka: KafkaSettings
}

const decoder = new TextDecoder('utf-8', { fatal: true })

export class KafkaPublisher implements TaskPublisher {
  readonly kind = 'kafka'
  readonly #topic: string
  readonly #producer: Producer
  readonly #logger: Logger
  #closed: Promise<void> | undefined

  static async create(config: KafkaPublisherConfig, deps: KafkaDeps): Promise<KafkaPublisher> {
    const topic = config.kafka.topics.tasks
    const logger = deps.logger.child({ component: 'kafka-publisher', topic })
    const client = await openClient(config.kafka, { ...deps, logger }, 'source_unavailable')
    const producer = await Producer.connect(client.kafka, 'source_unavailable', {
      maxMessageBytes: config.kafka.max_message_bytes,
    })
    return new KafkaPublisher(topic, producer, logger)
  }

  private constructor(topic: string, producer: Producer, logger: Logger) {
    this.#topic = topic
    this.#producer = producer
    this.#logger = logger
  }

  async publish(values: readonly Uint8Array[], { signal }: Signal): Promise<number> {
    if (this.#closed) throw new VectorizeError('internal', `publisher for ${this.#topic} is closed`)
    if (values.length === 0) return 0
    const messages = values.map((value) => ({ key: keyOf(value) ?? null, value: asBuffer(value) }))
    await this.#producer.send(this.#topic, messages, signal)
    this.#logger.debug({ count: values.length }, 'tasks published')
    return values.length
  }

  close(): Promise<void> {
    this.#closed ??= this.#producer.close()
    return this.#closed
  }
}

/** The task id of a JSON task message, or undefined for anything else (sent unkeyed). */
export function keyOf(value: Uint8Array): string | undefined {
  try {
    return taskIdOf(JSON.parse(decoder.decode(value)))
  } catch {
    return undefined
  }
}
