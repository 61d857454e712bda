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
 *
 * A partition's first message after assignment (and every message while a partition is careful)
 * goes through the crash guard first (kafka-guard.ts, kafka-admission.ts), so a message that keeps
 * killing workers is dead-lettered instead of crash-looping the group.
 */
import { randomUUID } from 'node:crypto'
import { topicPartitions } from '../kafka/admin.ts'
import type { KafkaClient, KafkaDeps, KafkaSettings } from '../kafka/client.ts'
import { abortable, kafkaError } from '../kafka/errors.ts'
import { openClient } from '../kafka/open.ts'
import { InFlight } from '../kafka/in-flight.ts'
import type { VendorAdmin, VendorConsumer, VendorEachMessagePayload } from '../kafka/vendor.ts'
import type { VendorRebalanceCallback, VendorTopicPartition } from '../kafka/vendor.ts'
import { errorCodes } from '../kafka/vendor.ts'
import type { Logger } from '../observability/logger.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'
import { MessageBuffer, type BufferStats } from './kafka-buffer.ts'
import { commitDurably } from './kafka-commit.ts'
import { Admissions, type Owned } from './kafka-admission.ts'
import { CrashGuard, formatMarker, parseMarker, type MarkerStore } from './kafka-guard.ts'
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
  /** Crash-loop guard on (processing.max_crashes > 0); off by default. */
  readonly crashGuard?: boolean
  /** Crash-loop guard: messages a careful partition hands out one at a time, and for how long. */
  readonly carefulWindow?: number
  readonly carefulWindowMs?: number
}

const empty = new Uint8Array(0)
/** How long one marker write may take; a stuck one must not hold up the worker's commits. */
const markerTimeoutMs = 15_000
/** How often the consumer refreshes topic metadata (see the consumer's config). */
export const metadataRefreshMs = 5_000
/**
 * Why lost partitions can take a while to come back (issue 10, measured on Kafka 4.4): a session
 * lost in a broker outage makes librdkafka rejoin as a new member, and the restarted coordinator
 * waits for the old membership to expire before it assigns anything.
 */
const lostHint =
  'the session expired (a broker outage longer than kafka.session_timeout_ms?); the group ' +
  "reassigns them once the coordinator has expired this worker's old membership, up to " +
  'kafka.session_timeout_ms after the broker is back (kafka.group_instance_id avoids the wait)'
/** How long a clean hand-back may spend taking back crash-guard markers. */
const handBackTimeoutMs = 2_000

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
  #lagInFlight: Promise<SourceLag[]> | undefined
  readonly #native = new InFlight()
  #closed: Promise<void> | undefined
  readonly #guard: CrashGuard
  readonly #markerStore: MarkerStore
  readonly #admissions: Admissions

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
    this.#markerStore = this.#markers()
    this.#guard = new CrashGuard(this.#markerStore, {
      window: config.carefulWindow ?? 64,
      windowMs: config.carefulWindowMs ?? 120_000,
      logger,
      owner: randomUUID(),
      enabled: config.crashGuard === true,
    })
    this.#admissions = new Admissions(this.#guard, {
      owned: this.#owned,
      committed: (p) => this.#committed.get(p) ?? -1,
      push: (msg) => this.#push(msg),
      release: (p) => {
        const owned = this.#owned.get(p)
        if (owned && !this.#buffer.full) this.#resume([[p, owned]])
      },
      closing: this.#closing.signal,
      logger,
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
        // topic.metadata.refresh.interval.ms (librdkafka: 5 min). A subscribed topic missing from
        // a metadata answer (just created, or a broker still loading it after a restart) is left
        // out of the assignment until the next refresh: a reader subscribed right after creating
        // its topic got nothing for minutes under load. The refresh is one small request.
        metadataMaxAge: metadataRefreshMs,
      },
      rebalance_cb: rebalance,
      // Static membership: a restarted worker with the same id takes its partitions back at
      // once instead of waiting out the session timeout and a rebalance.
      ...(settings.group_instance_id && { 'group.instance.id': settings.group_instance_id }),
    })
  }

  /** While a partition is careful, each finished message should be committed at once. */
  get commitEagerly(): boolean {
    return this.#guard.serial
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
    return this.#serialized(() => this.#commitNow(positions, signal))
  }

  /** Commits run one after another, markers included, so offsets only move forward. */
  #serialized(fn: () => Promise<void>): Promise<void> {
    const run = this.#commits.then(fn)
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
        const running = (this.#owned.get(partition)?.pushed ?? -1) > offset
        const marker = this.#guard.progressMarker(offset, running)
        offsets.push({ partition, offset, marker })
      }
    }
    if (offsets.length === 0) return
    const vendor = offsets.map(({ partition, offset, marker }) => ({
      topic: this.#topic,
      partition,
      offset: String(offset),
      ...(marker && { metadata: formatMarker(marker) }),
    }))
    await commitDurably(this.#consumer, vendor, signal, this.#native)
    for (const { partition, offset, marker } of offsets) {
      this.#committed.set(partition, offset)
      this.#guard.progressed(partition, offset, marker)
    }
    void this.#admissions.pump() // a held partition may be settled now
  }

  /**
   * Takes this worker's own start back from the markers of partitions it leaves cleanly, where it
   * never got past them: a clean stop is not a death. Best effort: a marker left behind only
   * makes the next owner careful for a while.
   */
  async #handBack(partitions: readonly number[]): Promise<void> {
    // Bounded: a rebalance waits for this, and a member that keeps it waiting past the session
    // timeout is evicted (a broker restart turned that into a loop of rebalances).
    const signal = AbortSignal.timeout(handBackTimeoutMs)
    const writes = partitions.flatMap((p) => {
      const marker = this.#guard.handBack(p)
      return marker && marker.at === this.#committed.get(p)
        ? [this.#markerStore.write(p, marker, signal)]
        : []
    })
    const results = await Promise.allSettled(writes)
    const failed = results.filter((r) => r.status === 'rejected').length
    if (failed > 0) this.#logger.warn({ failed }, 'could not take back crash-guard markers')
  }

  /** The crash guard's markers live in the commit metadata of the group's offsets. */
  #markers(): MarkerStore {
    const topic = this.#topic
    return {
      read: async (partition) => {
        const [stored] = await this.#native.track(
          this.#consumer.committed([{ topic, partition }], 10_000),
        )
        return parseMarker(stored?.metadata)
      },
      write: (partition, marker, signal = AbortSignal.timeout(markerTimeoutMs)) =>
        this.#serialized(async () => {
          const offset = {
            topic,
            partition,
            offset: String(marker.at),
            metadata: formatMarker(marker),
          }
          await commitDurably(this.#consumer, [offset], signal, this.#native)
          const before = this.#committed.get(partition) ?? -1
          this.#committed.set(partition, Math.max(before, marker.at))
        }),
    }
  }

  /** Reachability (readiness) and the consumer lag of the owned partitions (metrics). */
  async probe({ signal }: Signal): Promise<{ lag: SourceLag[] }> {
    if (!this.#admin || this.#closing.signal.aborted)
      throw new VectorizeError('source_unavailable', 'the Kafka source is not connected')
    try {
      return { lag: await abortable(this.#lag(this.#admin), signal) }
    } catch (err) {
      throw kafkaError(err, 'source_unavailable', 'cannot read the partition offsets')
    }
  }

  /**
   * The lag of the owned partitions; callers share the request in flight. Its native calls hold a
   * libuv thread until they answer or time out, whatever the caller's signal says: one at a time,
   * or probes during a broker outage fill the thread pool (issue 10).
   */
  #lag(admin: VendorAdmin): Promise<SourceLag[]> {
    if (this.#lagInFlight) return this.#lagInFlight
    const owned = this.partitions.filter((p) => !this.#owned.get(p)?.revoking)
    const target = { topic: this.#topic, owned, committed: this.#committed }
    const lag = this.#native.track(consumerLag(target, admin, this.#consumer, this.#client.module))
    this.#lagInFlight = lag.finally(() => (this.#lagInFlight = undefined))
    return this.#lagInFlight
  }

  close(): Promise<void> {
    this.#closed ??= this.#shutdown()
    return this.#closed
  }

  async #shutdown(): Promise<void> {
    if (this.#owned.size > 0) await this.#handBack([...this.#owned.keys()])
    this.#closing.abort() // no probe starts from here on
    this.#events = undefined // the worker already committed what it will; leave the group at once
    await this.#native.settled() // a lag probe still running uses both clients (see InFlight)
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
    const msg = {
      topic,
      partition,
      offset,
      value: message.value ?? empty, // librdkafka hands an empty value over as null
      ...(message.key && { key: message.key }),
      timestamp: Number(message.timestamp) || Date.now(),
    }
    if (this.#admissions.holds(partition, owned)) {
      owned.held = true
      if (!owned.paused) {
        owned.paused = true
        pause()
      }
      this.#admissions.add(msg)
      return Promise.resolve()
    }
    this.#push(msg)
    // Pausing from inside eachMessage is what keeps the message: the client then seeks the
    // partition back to the offset after it. A consumer-wide pause() also dropped the prefetched
    // messages of partitions that had delivered nothing yet, without seeking them back.
    if (this.#buffer.full && !owned.paused) {
      owned.paused = true
      pause()
    }
    return Promise.resolve()
  }

  #push(msg: SourceMessage): void {
    const owned = this.#owned.get(msg.partition)
    if (owned) owned.pushed = msg.offset + 1
    this.#buffer.push(msg)
    this.#epoch++
  }

  #take(): SourceMessage | undefined {
    const message = this.#buffer.shift()
    if (this.#buffer.low) this.#resume([...this.#owned].filter(([, o]) => o.paused && !o.held))
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
      for (const p of partitions) {
        this.#owned.set(p, { paused: false, held: false, revoking: false })
        this.#guard.assigned(p)
      }
      this.#assignedOnce = true
      this.#logger.info({ partitions, owned: this.partitions }, 'partitions assigned')
    } else if (code === errorCodes.revokePartitions) {
      // Lost (session expired): another member may own them already; the worker's commits for
      // them will fail and it forgets them all the same.
      await this.#revoke(partitions, lost)
    }
  }

  async #revoke(partitions: number[], lost: boolean): Promise<void> {
    const revoked = partitions.flatMap((p) => {
      const owned = this.#owned.get(p)
      return owned ? [[p, owned] as [number, Owned]] : []
    })
    for (const [, owned] of revoked) owned.revoking = true
    const gone = new Set(partitions)
    const dropped = this.#buffer.drop(gone)
    this.#admissions.drop(gone)
    for (const [, owned] of revoked) owned.held = false
    // Resume before giving them up, so a later owner (maybe this consumer) does not inherit a pause.
    this.#resume(revoked.filter(([, o]) => o.paused))
    const started = performance.now()
    let abandoned: number | undefined
    try {
      abandoned = (await this.#events?.revoked(partitions))?.abandoned
      // Not for lost partitions: another member owns them already and the commit would fail.
      if (!lost && !this.#closing.signal.aborted) await this.#handBack(partitions)
    } catch (err) {
      this.#logger.warn({ err: (err as Error).message }, 'revocation handler failed')
    } finally {
      for (const p of partitions) {
        this.#owned.delete(p)
        this.#guard.revoked(p)
      }
      this.#epoch++
      void this.#admissions.pump()
      // One line per revocation (the worker used to log its own as well): what was dropped from
      // the buffer, what was still running when the wait ran out, and how long it took.
      const ms = Math.round(performance.now() - started)
      const closing = this.#closing.signal.aborted // leaving the group: no worker to ask
      const fields = { partitions, owned: this.partitions, dropped, abandoned, ms, closing }
      if (lost) this.#logger.warn({ ...fields, hint: lostHint }, 'partitions lost')
      else this.#logger.info(fields, 'partitions revoked')
    }
  }

  /** True when nothing is buffered, the group has settled and every owned partition is read. */
  async #caughtUp(stop: AbortSignal): Promise<boolean> {
    if (!this.#assignedOnce || this.#buffer.length > 0 || this.#admissions.length > 0) return false
    if (!this.#admin) return false
    const owned = new Map<number, number | undefined>()
    for (const [p, o] of this.#owned) if (!o.revoking) owned.set(p, o.next)
    const target = { topic: this.#topic, group: this.#group, owned }
    try {
      const probe = this.#native.track(
        probeIdle(target, this.#admin, this.#consumer, this.#client.module),
      )
      return await abortable(probe, stop)
    } catch (err) {
      if (!stop.aborted) this.#logger.debug({ err: (err as Error).message }, 'idle check failed')
      return false
    }
  }
}
