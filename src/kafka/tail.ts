/**
 * TopicTail: a running read of a topic from a point in time on, outside any consumer group, for the
 * dashboard's counts per state (reporters/kafka-state-counts.ts). It asks the broker for each
 * partition's first offset at or after `since()` (offsetsForTimes), assigns the partitions there —
 * no subscription, so no group join, no rebalance and no commit: the workers' group never sees it —
 * and hands every batch it consumes to `onRecords`, one batch at a time, until closed. Every
 * `metadataMs` it looks for partitions added to the topic and reads them from the same point in
 * time. A failure (the topic not created yet, the broker down) is kept in `state.error` and the
 * step retried after `retryMs`; records already handed over stay handed over.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../observability/logger.ts'
import type { KafkaSettings } from './client.ts'
import { kafkaError, type UnavailableCode } from './errors.ts'
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

export interface TailOptions {
  readonly topic: string
  /** Required by librdkafka, never joined (see rd-consumer.ts): never the workers' group. */
  readonly groupId: string
  readonly code: UnavailableCode
  /** Where a partition starts when it is assigned: its first record at or after this time (ms). */
  readonly since: () => number
  readonly onRecords: (records: readonly TopicRecord[]) => void
  readonly retryMs?: number
  readonly metadataMs?: number
  /** Records per consume call at most. */
  readonly batch?: number
}

export interface TailState {
  /** Partitions being read. */
  readonly partitions: number
  /** Every partition was read to its end at least once since it was assigned. */
  readonly caughtUp: boolean
  /** The last failure, until a read gets through again. */
  readonly error?: string
}

/** How long one consume call waits for records when there are none (a thread of libuv's pool). */
const consumeWaitMs = 500

export class TopicTail {
  readonly #settings: KafkaSettings
  readonly #deps: RdConsumerDeps
  readonly #options: TailOptions
  readonly #logger: Logger
  readonly #stop = new AbortController()
  readonly #assigned = new Set<number>()
  readonly #atEnd = new Set<number>()
  #consumer: VendorRdConsumer | undefined
  #checkedAt = -Infinity
  #error: string | undefined
  #running: Promise<void> = Promise.resolve()

  /** Starts reading in the background; `close()` stops it. */
  static start(settings: KafkaSettings, deps: RdConsumerDeps, options: TailOptions): TopicTail {
    const tail = new TopicTail(settings, deps, options)
    tail.#running = tail.#run()
    return tail
  }

  private constructor(settings: KafkaSettings, deps: RdConsumerDeps, options: TailOptions) {
    this.#settings = settings
    this.#deps = deps
    this.#options = options
    this.#logger = deps.logger.child({ component: 'kafka-tail', topic: options.topic })
  }

  get state(): TailState {
    const caughtUp = this.#assigned.size > 0 && [...this.#assigned].every((p) => this.#atEnd.has(p))
    return {
      partitions: this.#assigned.size,
      caughtUp,
      ...(this.#error !== undefined && { error: this.#error }),
    }
  }

  /** Stops reading (after the consume call in flight, half a second at most) and disconnects. */
  async close(): Promise<void> {
    this.#stop.abort()
    await this.#running
  }

  async #run(): Promise<void> {
    const { signal } = this.#stop
    try {
      while (!signal.aborted) {
        try {
          await this.#step()
        } catch (err) {
          this.#failed(err)
          await sleep(this.#options.retryMs ?? 5_000, undefined, { signal }).catch(() => undefined)
        }
      }
    } finally {
      const consumer = this.#consumer
      if (consumer) await callback<void>((cb) => consumer.disconnect(cb)).catch(() => undefined)
    }
  }

  async #step(): Promise<void> {
    const consumer = (this.#consumer ??= await this.#connect())
    const metadataMs = this.#options.metadataMs ?? 60_000
    if (this.#assigned.size === 0 || Date.now() - this.#checkedAt >= metadataMs) {
      await this.#assignNew(consumer)
    }
    const batch = await callback<VendorRdMessage[]>((cb) =>
      consumer.consume(this.#options.batch ?? 1_000, cb),
    ).catch((err: unknown) => {
      throw kafkaError(err, this.#options.code, `cannot read topic ${this.#options.topic}`)
    })
    if (batch.length > 0) {
      this.#recovered()
      this.#options.onRecords(batch.map(toRecord))
    }
  }

  async #connect(): Promise<VendorRdConsumer> {
    const { groupId, code, topic } = this.#options
    const consumer = await openRdConsumer(
      this.#settings,
      { ...this.#deps, logger: this.#logger },
      { groupId, code, what: 'Kafka tail' },
    )
    consumer.setDefaultConsumeTimeout(consumeWaitMs)
    consumer.on('partition.eof', (eof) => {
      if (eof.topic !== topic) return
      this.#atEnd.add(eof.partition)
      this.#recovered()
    })
    consumer.on('event.error', (err) => (this.#error = String(err)))
    return consumer
  }

  /** Assigns the partitions not read yet, each from its first record since `since()`. */
  async #assignNew(consumer: VendorRdConsumer): Promise<void> {
    const { topic, code } = this.#options
    const partitions = await partitionsOf(consumer, topic, code)
    this.#checkedAt = Date.now()
    const fresh = partitions.filter((p) => !this.#assigned.has(p))
    if (fresh.length === 0) return
    const since = this.#options.since()
    const wanted = fresh.map((partition) => ({ topic, partition, offset: since }))
    const offsets = await callback<{ topic: string; partition: number; offset: number }[]>((cb) =>
      consumer.offsetsForTimes(wanted, requestTimeoutMs, cb),
    ).catch((err: unknown) => {
      throw kafkaError(err, code, `cannot find the offsets of ${topic} at ${since}`)
    })
    // -1 (no record that recent): librdkafka's OFFSET_END, where the next record will be
    consumer.incrementalAssign(
      offsets.map(({ partition, offset }) => ({ topic, partition, offset })),
    )
    for (const p of fresh) this.#assigned.add(p)
    this.#recovered()
    this.#logger.debug({ offsets, since }, 'tailing partitions')
  }

  #failed(err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err)
    if (reason !== this.#error) this.#logger.warn({ reason }, 'cannot tail the topic; trying again')
    this.#error = reason
  }

  #recovered(): void {
    this.#error = undefined
  }
}
