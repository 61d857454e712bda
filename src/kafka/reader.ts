/**
 * TopicReader: bounded reads of a topic by partition and offset, outside any consumer group (no
 * join, no commit), for tools that page through a topic: the dead-letter list reads "at most N
 * records of partition p from offset o" and nothing more, however long the topic is. It uses the
 * client's rdkafka-style consumer (assign + consume), one read at a time.
 */
import { VectorizeError } from '../worker/errors.ts'
import type { KafkaSettings } from './client.ts'
import { abortable, kafkaError, type UnavailableCode } from './errors.ts'
import {
  callback,
  openRdConsumer,
  partitionsOf,
  requestTimeoutMs,
  toRecord,
  type RdConsumerDeps,
  type TopicRecord,
} from './rd-consumer.ts'
import type { VendorRdConsumer, VendorRdMessage } from './vendor.ts'

export type { TopicRecord } from './rd-consumer.ts'

export interface PartitionEnds {
  readonly partition: number
  /** The first offset still kept. */
  readonly low: number
  /** One past the last offset. */
  readonly high: number
}

export interface ReadRange {
  readonly partition: number
  readonly from: number
  /** Records to read at most. */
  readonly max: number
}

/** How long one consume call waits for records; the loop ends at the partitions' ends anyway. */
const consumeWaitMs = 200

export class TopicReader {
  readonly #consumer: VendorRdConsumer
  readonly #code: UnavailableCode
  #turn: Promise<unknown> = Promise.resolve()
  #closed: Promise<void> | undefined
  /** Where librdkafka reported the end of a partition (`topic:partition` → offset). */
  readonly #eof = new Map<string, number>()

  static async open(
    settings: KafkaSettings,
    deps: RdConsumerDeps,
    code: UnavailableCode,
  ): Promise<TopicReader> {
    const logger = deps.logger.child({ component: 'kafka-reader' })
    const consumer = await openRdConsumer(
      settings,
      { ...deps, logger },
      { groupId: `${settings.group_id}.reader`, code, what: 'Kafka reader' },
    )
    consumer.setDefaultConsumeTimeout(consumeWaitMs)
    return new TopicReader(consumer, code)
  }

  private constructor(consumer: VendorRdConsumer, code: UnavailableCode) {
    this.#consumer = consumer
    this.#code = code
    consumer.on('partition.eof', ({ topic, partition, offset }) =>
      this.#eof.set(`${topic}:${partition}`, offset),
    )
  }

  /** Each partition's low and high offsets; a missing topic is `not_found`. */
  ends(topic: string, signal: AbortSignal): Promise<PartitionEnds[]> {
    return this.#exclusive(signal, async () => {
      const partitions = await this.#partitions(topic)
      return Promise.all(
        partitions.map(async (partition) => {
          const marks = await callback<{ lowOffset: number; highOffset: number }>((cb) =>
            this.#consumer.queryWatermarkOffsets(topic, partition, requestTimeoutMs, cb),
          ).catch((err: unknown) => {
            throw kafkaError(err, this.#code, `cannot read the offsets of ${topic}`)
          })
          return { partition, low: marks.lowOffset, high: marks.highOffset }
        }),
      )
    })
  }

  /**
   * Up to `max` records of each range, from its `from` offset, stopping at the partition's end
   * (`ends` gives them): the read is bounded by the sum of the ranges' `max`.
   */
  read(
    topic: string,
    ranges: readonly (ReadRange & { readonly high: number })[],
    signal: AbortSignal,
  ): Promise<TopicRecord[]> {
    const wanted = ranges.filter((r) => r.max > 0 && r.from < r.high)
    if (wanted.length === 0) return Promise.resolve([])
    return this.#exclusive(signal, () => this.#read(topic, wanted, signal))
  }

  close(): Promise<void> {
    this.#closed ??= this.#turn.then(() =>
      callback<void>((cb) => this.#consumer.disconnect(cb)).catch(() => undefined),
    )
    return this.#closed
  }

  async #read(
    topic: string,
    ranges: readonly (ReadRange & { readonly high: number })[],
    signal: AbortSignal,
  ): Promise<TopicRecord[]> {
    const left = new Map(ranges.map((r) => [r.partition, { ...r, end: r.from + r.max }]))
    const records: TopicRecord[] = []
    this.#eof.clear()
    this.#consumer.assign(ranges.map((r) => ({ topic, partition: r.partition, offset: r.from })))
    try {
      while (left.size > 0) {
        signal.throwIfAborted()
        let count = 0
        for (const r of left.values()) count += Math.min(r.end, r.high) - r.from
        const batch = await callback<VendorRdMessage[]>((cb) =>
          this.#consumer.consume(Math.max(1, count), cb),
        ).catch((err: unknown) => {
          throw kafkaError(err, this.#code, `cannot read topic ${topic}`)
        })
        for (const message of batch) {
          const range = left.get(message.partition)
          if (!range || message.offset < range.from || message.offset >= range.end) continue
          records.push(toRecord(message))
          range.from = message.offset + 1
        }
        for (const [partition, range] of left) {
          const eof = this.#eof.get(`${topic}:${partition}`)
          const atEof = eof !== undefined && eof >= range.high
          if (range.from >= range.end || range.from >= range.high || atEof) left.delete(partition)
        }
      }
    } finally {
      this.#consumer.unassign()
    }
    return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset)
  }

  #partitions(topic: string): Promise<number[]> {
    return partitionsOf(this.#consumer, topic, this.#code)
  }

  /** One read at a time: the consumer's assignment is the read's state. */
  #exclusive<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new VectorizeError('internal', 'reader closed'))
    const turn = this.#turn.then(work)
    this.#turn = turn.catch(() => undefined)
    return abortable(turn, signal)
  }
}
