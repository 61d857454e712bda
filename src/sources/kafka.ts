/**
 * KafkaSource: tasks from a Kafka topic, shared by every worker of a consumer group
 * (`kafka.group_id`), with cooperative-sticky rebalancing and manual commits only.
 *
 * The client pushes messages (`eachMessage`) into a bounded buffer that `messages()` pulls from;
 * a partition that delivers into a full buffer is paused, and paused partitions resume once the
 * buffer has drained to half, so `eachMessage` never blocks librdkafka's poll loop. A revocation
 * drops the buffered messages of the revoked partitions, awaits `events.revoked` (the worker
 * finishes their in-flight work and commits it) and only then lets the rebalance go on: the
 * client awaits its `rebalance_cb` before it unassigns (lib/kafkajs/_consumer.js).
 */
import { topicPartitions } from '../kafka/admin.ts'
import type { KafkaClient, KafkaDeps, KafkaSettings } from '../kafka/client.ts'
import { abortable, kafkaError } from '../kafka/errors.ts'
import { openClient } from '../kafka/open.ts'
import type { VendorAdmin, VendorConsumer, VendorEachMessagePayload } from '../kafka/vendor.ts'
import type { VendorRebalanceCallback, VendorTopicPartition } from '../kafka/vendor.ts'
import { errorCodes } from '../kafka/vendor.ts'
import type { Logger } from '../observability/logger.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'
import { MessageBuffer, type BufferStats } from './kafka-buffer.ts'
import { commitDurably } from './kafka-commit.ts'
import { IdleGate, probeIdle } from './kafka-idle.ts'
import { consumerLag } from './kafka-lag.ts'
import type { ConsumeOptions, PartitionEvents, Position, SourceMessage } from './source.ts'
import type { SourceLag } from './source.ts'
import type { TaskSource } from './source.ts'

export { KafkaPublisher } from './kafka-publisher.ts'
export type { KafkaDeps, KafkaPublisherConfig } from './kafka-publisher.ts'

export interface KafkaSourceConfig {
  readonly kafka: KafkaSettings
  /** Buffered messages before partitions are paused (a soft bound, see kafka-buffer.ts). */
  readonly maxBufferedMessages?: number
  readonly maxBufferedBytes?: number
  /** How often `untilIdle` compares positions with the partitions' ends. */
  readonly idleCheckMs?: number
}

interface Owned {
  /** One past the last offset delivered into the buffer; unknown until something is. */
  next?: number
  paused: boolean
  revoking: boolean
}

const empty = new Uint8Array(0)

export class KafkaSource implements TaskSource {
  readonly kind = 'kafka'
  readonly #topic: string
  readonly #group: string
  readonly #logger: Logger
  readonly #client: KafkaClient
  readonly #consumer: VendorConsumer
  readonly #buffer: MessageBuffer
  readonly #idleCheckMs: number
  readonly #owned = new Map<number, Owned>()
  /** Highest offset committed per partition by this source: lower commits are ignored. */
  readonly #committed = new Map<number, number>()
  readonly #closing = new AbortController()
  #admin: VendorAdmin | undefined
  #events: PartitionEvents | undefined
  #assignedOnce = false
  /** Bumped on every delivery and rebalance: idle is only trusted when nothing moved. */
  #epoch = 0
  #iterating = false
  #commits: Promise<void> = Promise.resolve()
  #closed: Promise<void> | undefined

  static async create(config: KafkaSourceConfig, deps: KafkaDeps): Promise<KafkaSource> {
    const logger = deps.logger.child({
      component: 'kafka-source',
      topic: config.kafka.topics.tasks,
    })
    const client = await openClient(config.kafka, { ...deps, logger }, 'source_unavailable')
    const source = new KafkaSource(config, client, logger)
    await source.#start().catch(async (err: unknown) => {
      await source.close()
      throw err
    })
    return source
  }

  private constructor(config: KafkaSourceConfig, client: KafkaClient, logger: Logger) {
    const settings = config.kafka
    this.#topic = settings.topics.tasks
    this.#group = settings.group_id
    this.#logger = logger
    this.#client = client
    this.#idleCheckMs = config.idleCheckMs ?? 250
    this.#buffer = new MessageBuffer({
      maxMessages: config.maxBufferedMessages ?? 1024,
      maxBytes: config.maxBufferedBytes ?? 64 * 1024 * 1024,
    })
    const rebalance: VendorRebalanceCallback = (err, assignment, fns) =>
      this.#rebalance(err.code, assignment, fns.assignmentLost())
    this.#consumer = client.kafka.consumer({
      kafkaJS: {
        groupId: settings.group_id,
        fromBeginning: true, // auto.offset.reset=earliest: a new group reads every task
        autoCommit: false, // enable.auto.commit=false: only what the worker finished is committed
        partitionAssigners: ['cooperative-sticky'],
        sessionTimeout: settings.session_timeout_ms,
        // Members learn of a rebalance from a heartbeat answer, and a cooperative one takes two
        // rounds: a join took 3.5 s to hand partitions over at librdkafka's 3 s, 1.6 s at 1 s.
        heartbeatInterval: Math.min(1_000, Math.floor(settings.session_timeout_ms / 3)),
        allowAutoTopicCreation: false,
        // librdkafka keeps one fetch request in flight per broker, long-polling partitions that
        // are at their end; a resumed partition waits for it to return. At the default 500 ms a
        // pause/resume cycle cost ~500 ms of stall (measured); 50 ms keeps it short, at the price
        // of ~20 fetch requests a second from an idle consumer.
        maxWaitTimeInMs: 50,
      },
      rebalance_cb: rebalance,
    })
  }

  /** What the buffer holds now and at most: the backpressure bound, observable. */
  get bufferStats(): BufferStats {
    return this.#buffer.stats
  }

  /** Partitions of the tasks topic this source owns now. */
  get partitions(): number[] {
    return [...this.#owned.keys()].sort((a, b) => a - b)
  }

  async #start(): Promise<void> {
    try {
      await this.#consumer.connect()
      this.#admin = this.#consumer.dependentAdmin()
      await this.#admin.connect()
    } catch (err) {
      throw kafkaError(err, 'source_unavailable', 'cannot connect the Kafka consumer')
    }
    await topicPartitions(this.#admin, this.#topic, 'source_unavailable')
    try {
      await this.#consumer.subscribe({ topics: [this.#topic] })
      await this.#consumer.run({ eachMessage: (payload) => this.#deliver(payload) })
    } catch (err) {
      throw kafkaError(err, 'source_unavailable', `cannot subscribe to ${this.#topic}`)
    }
  }

  /**
   * Messages as the client fetched them, in order per partition. With `untilIdle` it ends once
   * every owned partition is read to its end; it ends quietly when the signal aborts or on close.
   * `events` stay registered after the iteration ends, until the next call or `close()`: the worker
   * still finishes and commits in-flight work then, and a rebalance must wait for it.
   */
  async *messages({ signal, untilIdle, events }: ConsumeOptions): AsyncGenerator<SourceMessage> {
    if (this.#iterating) throw new VectorizeError('internal', 'the Kafka source is already read')
    this.#iterating = true
    this.#events = events
    const stop = AbortSignal.any([signal, this.#closing.signal])
    const gate = new IdleGate(Math.max(1_000, 2 * this.#idleCheckMs))
    try {
      while (!stop.aborted) {
        const message = this.#take()
        if (message) {
          yield message
          continue
        }
        if (untilIdle && gate.observe(await this.#caughtUp(stop), this.#epoch)) return
        await this.#buffer.next(stop, untilIdle ? this.#idleCheckMs : undefined)
      }
    } finally {
      this.#iterating = false
    }
  }

  /** Commits `offset` (the next to read) per owned partition; others and lower ones are ignored. */
  commit(positions: readonly Position[], { signal }: Signal): Promise<void> {
    const run = this.#commits.then(() => this.#commitNow(positions, signal))
    this.#commits = run.catch(() => undefined)
    return run
  }

  async #commitNow(positions: readonly Position[], signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    const offsets = []
    for (const { partition, offset } of positions) {
      if (!this.#owned.has(partition)) {
        this.#logger.debug({ partition, offset }, 'commit ignored: partition not assigned')
      } else if (offset > (this.#committed.get(partition) ?? -1)) {
        offsets.push({ topic: this.#topic, partition, offset: String(offset) })
      }
    }
    if (offsets.length === 0) return
    await commitDurably(this.#consumer, offsets, signal)
    for (const o of offsets) this.#committed.set(o.partition, Number(o.offset))
  }

  /** Reachability (readiness) and the consumer lag of the owned partitions (metrics). */
  async probe({ signal }: Signal): Promise<{ lag: SourceLag[] }> {
    if (!this.#admin || this.#closing.signal.aborted)
      throw new VectorizeError('source_unavailable', 'the Kafka source is not connected', {
        retriable: true,
      })
    const owned = this.partitions.filter((p) => !this.#owned.get(p)?.revoking)
    const target = { topic: this.#topic, owned, committed: this.#committed }
    try {
      const module = this.#client.module
      return {
        lag: await abortable(consumerLag(target, this.#admin, this.#consumer, module), signal),
      }
    } catch (err) {
      throw kafkaError(err, 'source_unavailable', 'cannot read the partition offsets')
    }
  }

  close(): Promise<void> {
    this.#closed ??= this.#shutdown()
    return this.#closed
  }

  async #shutdown(): Promise<void> {
    this.#closing.abort()
    this.#events = undefined // the worker already committed what it will; leave the group at once
    await this.#admin?.disconnect().catch(() => undefined)
    await this.#consumer.disconnect().catch((err: unknown) => {
      this.#logger.warn(
        { err: (err as Error).message },
        'Kafka consumer did not disconnect cleanly',
      )
    })
  }

  /** Called by the client for every fetched message; must not block (see the file comment). */
  #deliver({ topic, partition, message, pause }: VendorEachMessagePayload): Promise<void> {
    const owned = this.#owned.get(partition)
    if (topic !== this.#topic || !owned || owned.revoking) return Promise.resolve()
    const offset = Number(message.offset)
    owned.next = offset + 1
    this.#epoch++
    this.#buffer.push({
      topic,
      partition,
      offset,
      value: message.value ?? empty, // librdkafka hands an empty value over as null
      timestamp: Number(message.timestamp) || Date.now(),
    })
    // Pausing from inside eachMessage is what keeps the message: the client then seeks the
    // partition back to the offset after it. A consumer-wide pause() also dropped the prefetched
    // messages of partitions that had delivered nothing yet, without seeking them back.
    if (this.#buffer.full && !owned.paused) {
      owned.paused = true
      pause()
    }
    return Promise.resolve()
  }

  #take(): SourceMessage | undefined {
    const message = this.#buffer.shift()
    if (this.#buffer.low) this.#resume([...this.#owned].filter(([, o]) => o.paused))
    return message
  }

  #resume(partitions: [number, Owned][]): void {
    if (partitions.length === 0) return
    for (const [, owned] of partitions) owned.paused = false
    try {
      this.#consumer.resume([{ topic: this.#topic, partitions: partitions.map(([p]) => p) }])
    } catch (err) {
      this.#logger.debug({ err: (err as Error).message }, 'resume failed (disconnecting)')
    }
  }

  async #rebalance(code: number, assignment: VendorTopicPartition[], lost: boolean) {
    const partitions = assignment.filter((tp) => tp.topic === this.#topic).map((tp) => tp.partition)
    this.#epoch++
    if (code === errorCodes.assignPartitions) {
      for (const p of partitions) this.#owned.set(p, { paused: false, revoking: false })
      this.#assignedOnce = true
      this.#logger.info({ partitions, owned: this.partitions }, 'partitions assigned')
    } else if (code === errorCodes.revokePartitions) {
      // Lost (session expired): another member may own them already; the worker's commits for
      // them will fail and it forgets them all the same.
      if (lost) this.#logger.warn({ partitions }, 'partitions lost')
      await this.#revoke(partitions)
    }
  }

  async #revoke(partitions: number[]): Promise<void> {
    const revoked = partitions.flatMap((p) => {
      const owned = this.#owned.get(p)
      return owned ? [[p, owned] as [number, Owned]] : []
    })
    for (const [, owned] of revoked) owned.revoking = true
    const dropped = this.#buffer.drop(new Set(partitions))
    // Resume before giving them up, so a later owner (maybe this consumer) does not inherit a pause.
    this.#resume(revoked.filter(([, o]) => o.paused))
    this.#logger.info({ partitions, dropped }, 'partitions revoked')
    try {
      await this.#events?.revoked(partitions)
    } catch (err) {
      this.#logger.warn({ err: (err as Error).message }, 'revocation handler failed')
    } finally {
      for (const p of partitions) this.#owned.delete(p)
      this.#epoch++
    }
  }

  /** True when nothing is buffered, the group has settled and every owned partition is read. */
  async #caughtUp(stop: AbortSignal): Promise<boolean> {
    if (!this.#assignedOnce || this.#buffer.length > 0 || !this.#admin) return false
    const owned = new Map<number, number | undefined>()
    for (const [p, o] of this.#owned) if (!o.revoking) owned.set(p, o.next)
    const target = { topic: this.#topic, group: this.#group, owned }
    try {
      const probe = probeIdle(target, this.#admin, this.#consumer, this.#client.module)
      return await abortable(probe, stop)
    } catch (err) {
      if (!stop.aborted) this.#logger.debug({ err: (err as Error).message }, 'idle check failed')
      return false
    }
  }
}
