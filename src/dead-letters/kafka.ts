/**
 * KafkaDeadLetterLog: dead letters on `kafka.topics.dlq`, handled marks on a compacted topic
 * (`kafka.topics.dlq_handled`, default `<dlq>.handled`, one partition, keyed by the letter's
 * `partition:offset`: compaction keeps one mark per letter however often it is written). Reads go
 * through a TopicReader (no consumer group); the producer and the handled topic are only set up
 * by the first action, so browsing needs nothing but read access.
 */
import { createClient, type KafkaSettings } from '../kafka/client.ts'
import { withAdmin } from '../kafka/admin.ts'
import { asBuffer, Producer } from '../kafka/producer.ts'
import { TopicReader, type PartitionEnds } from '../kafka/reader.ts'
import type { Logger } from '../observability/logger.ts'
import { keyOf } from '../sources/kafka-publisher.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'
import type { DeadLetterLog, HandledMark, PartitionRange, RawLetter } from './dead-letter.ts'
import { replaysHeader } from './dead-letter.ts'
import { letterOf, markOf, markRecord } from './kafka-records.ts'

const code = 'source_unavailable'

export class KafkaDeadLetterLog implements DeadLetterLog {
  readonly kind = 'kafka'
  readonly where: string
  readonly #settings: KafkaSettings
  readonly #handledTopic: string
  readonly #reader: TopicReader
  readonly #logger: Logger
  #ends: readonly PartitionEnds[] = []
  /** Per partition of the handled topic, the offset up to which marks were read. */
  readonly #markedUpTo = new Map<number, number>()
  #producer: Promise<Producer> | undefined
  #closed: Promise<void> | undefined

  static async open(
    settings: KafkaSettings,
    deps: { logger: Logger },
  ): Promise<KafkaDeadLetterLog> {
    const reader = await TopicReader.open(settings, deps, code)
    return new KafkaDeadLetterLog(settings, reader, deps.logger)
  }

  private constructor(settings: KafkaSettings, reader: TopicReader, logger: Logger) {
    this.#settings = settings
    this.where = settings.topics.dlq
    this.#handledTopic = handledTopic(settings)
    this.#reader = reader
    this.#logger = logger.child({ component: 'kafka-dead-letters' })
  }

  async ranges({ signal }: Signal): Promise<PartitionRange[]> {
    this.#ends = await this.#reader.ends(this.where, signal).catch((err: unknown) => {
      if (err instanceof VectorizeError && err.code === 'not_found') {
        throw new VectorizeError(
          'not_found',
          `dead-letter topic ${this.where} does not exist (kafka.topics.dlq): no worker dead-lettered anything yet, or the setting names another topic`,
          { cause: err },
        )
      }
      throw err
    })
    return [...this.#ends]
  }

  async read(partition: number, from: number, max: number, opts: Signal): Promise<RawLetter[]> {
    let end = this.#ends.find((e) => e.partition === partition)
    if (!end || from >= end.high)
      end = (await this.ranges(opts)).find((e) => e.partition === partition)
    if (!end) return []
    const records = await this.#reader.read(
      this.where,
      [{ partition, from, max, high: end.high }],
      opts.signal,
    )
    return records.map(letterOf)
  }

  async newMarks({ signal }: Signal): Promise<HandledMark[]> {
    let ends: PartitionEnds[]
    try {
      ends = await this.#reader.ends(this.#handledTopic, signal)
    } catch (err) {
      if (err instanceof VectorizeError && err.code === 'not_found') return [] // nothing handled yet
      throw err
    }
    const ranges = ends.map((e) => {
      const from = Math.max(e.low, this.#markedUpTo.get(e.partition) ?? 0)
      return { partition: e.partition, from, max: e.high - from, high: e.high }
    })
    const records = await this.#reader.read(this.#handledTopic, ranges, signal)
    for (const e of ends) this.#markedUpTo.set(e.partition, e.high)
    return records.flatMap((r) => markOf(r) ?? [])
  }

  async mark(marks: readonly HandledMark[], { signal }: Signal): Promise<void> {
    if (marks.length === 0) return
    const producer = await this.#connect()
    await producer.send(this.#handledTopic, marks.map(markRecord), signal)
  }

  /** Tombstones: the handled topic's compaction then drops each letter's mark, and later these. */
  async forget(ids: readonly string[], { signal }: Signal): Promise<void> {
    if (ids.length === 0) return
    const producer = await this.#connect()
    const tombstones = ids.map((id) => ({ key: id, value: null }))
    await producer.send(this.#handledTopic, tombstones, signal)
  }

  async republish(
    letters: readonly { letter: RawLetter; replay: number }[],
    { signal }: Signal,
  ): Promise<void> {
    const producer = await this.#connect()
    const messages = letters.map(({ letter, replay }) => ({
      key: letter.key ? asBuffer(letter.key) : (keyOf(letter.value) ?? null),
      value: asBuffer(letter.value),
      headers: {
        [replaysHeader]: String(replay),
        'x-replayed-from': `${this.where}:${letter.id}`,
      },
    }))
    await producer.send(this.#settings.topics.tasks, messages, signal)
    this.#logger.debug({ count: letters.length }, 'dead letters put back on the tasks topic')
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      const producer = await this.#producer?.catch(() => undefined)
      await Promise.all([producer?.close(), this.#reader.close()])
    })()
    return this.#closed
  }

  /** The producer, and the handled topic made sure of, on the first action. */
  #connect(): Promise<Producer> {
    this.#producer ??= (async () => {
      const { kafka } = await createClient(this.#settings, this.#logger)
      await ensureHandledTopic(kafka, this.#settings, this.#handledTopic, this.#logger)
      return Producer.connect(kafka, code, { maxMessageBytes: this.#settings.max_message_bytes })
    })()
    this.#producer.catch(() => (this.#producer = undefined)) // try again on the next action
    return this.#producer
  }
}

export function handledTopic(settings: KafkaSettings): string {
  return settings.topics.dlq_handled || `${settings.topics.dlq}.handled`
}

async function ensureHandledTopic(
  kafka: Parameters<typeof withAdmin>[0],
  settings: KafkaSettings,
  topic: string,
  logger: Logger,
): Promise<void> {
  try {
    await withAdmin(kafka, code, (admin) =>
      admin.createTopics({
        topics: [
          {
            topic,
            numPartitions: 1,
            replicationFactor: settings.replication_factor,
            configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
          },
        ],
        timeout: 10_000,
      }),
    )
  } catch (err) {
    throw new VectorizeError(
      'config_invalid',
      `cannot create the handled-marks topic ${topic} (kafka.topics.dlq_handled): create it with cleanup.policy=compact and one partition, or grant this client CREATE on it (${(err as Error).message})`,
      { cause: err },
    )
  }
  logger.debug({ topic }, 'handled-marks topic ensured')
}
