/**
 * The loop: pull a message when a slot is free → process it → mark it done → commit the
 * contiguous watermark periodically. Backpressure is the slot count: nothing is pulled while
 * `max_concurrent_tasks` messages are in flight. Lifecycle: starting → running → draining →
 * stopped | failed.
 */
import { setMaxListeners } from 'node:events'
import type { Logger } from '../observability/logger.ts'
import type { RevokeOutcome, SourceMessage, TaskSource } from '../sources/source.ts'
import type { CollectionSpec } from '../stores/store.ts'
import { CommitTracker } from './commits.ts'
import { isAbort, toVectorizeError, type VectorizeError } from './errors.ts'
import { processMessage, type ProcessorDeps } from './processor.ts'
import { Slots } from './slots.ts'

export type WorkerState = 'starting' | 'running' | 'draining' | 'stopped' | 'failed'

export interface WorkerOptions {
  readonly maxConcurrentTasks: number
  readonly commitIntervalMs: number
  /** How long a rebalance waits for in-flight work of revoked partitions before giving them up. */
  readonly revokeTimeoutMs: number
}

export interface WorkerDeps extends Omit<ProcessorDeps, 'ensureCollection'> {
  readonly source: TaskSource
  readonly logger: Logger
}

export class Worker {
  readonly #deps: WorkerDeps
  readonly #options: WorkerOptions
  readonly #slots: Slots
  readonly #tracker = new CommitTracker()
  readonly #pull = new AbortController()
  readonly #work = new AbortController()
  readonly #collections = new Map<string, Promise<void>>()
  #state: WorkerState = 'starting'
  #active = 0
  #abandoned = 0
  #fatal: VectorizeError | undefined
  #committing: Promise<void> = Promise.resolve()

  constructor(deps: WorkerDeps, options: WorkerOptions) {
    this.#deps = deps
    this.#options = options
    this.#slots = new Slots(options.maxConcurrentTasks)
    // every task in flight listens on these two signals: more than Node's default of 10
    setMaxListeners(0, this.#pull.signal, this.#work.signal)
  }

  get state(): WorkerState {
    return this.#state
  }

  /** Tasks started and not finished (a slot held while waiting for the next message is not one). */
  get activeTasks(): number {
    return this.#active
  }

  /** Tasks stopped by `abort()` or the end of the grace time: uncommitted, they are redelivered. */
  get abandonedTasks(): number {
    return this.#abandoned
  }

  get maxConcurrentTasks(): number {
    return this.#slots.size
  }

  /** Changes concurrency at run time (SIGHUP). */
  setConcurrency(n: number): void {
    this.#slots.resize(n)
  }

  /** Processes until the source is drained (`untilIdle`) or `stop()` is called. Rejects if the worker failed. */
  async run(options: { untilIdle: boolean }): Promise<void> {
    this.#state = 'running'
    const timer = setInterval(() => void this.#commit(), this.#options.commitIntervalMs)
    try {
      await this.#loop(options.untilIdle)
      await this.#slots.idle()
    } finally {
      clearInterval(timer)
      await this.#commit()
      this.#state = this.#fatal ? 'failed' : 'stopped'
    }
    if (this.#fatal) throw this.#fatal
  }

  /** Stops pulling, lets in-flight tasks finish for up to `graceMs`, then aborts them (they stay uncommitted). */
  stop(graceMs: number): void {
    if (this.#state !== 'running') return
    this.#state = 'draining'
    // Tasks started and not finished: a slot held while waiting for the next message is not one.
    this.#deps.logger.info({ in_flight: this.#active, grace_ms: graceMs }, 'draining')
    this.#pull.abort()
    setTimeout(() => this.#work.abort(), graceMs).unref()
  }

  /** Aborts in-flight work now (a second signal). */
  abort(): void {
    this.#pull.abort()
    this.#work.abort()
  }

  async #loop(untilIdle: boolean): Promise<void> {
    const signal = this.#pull.signal
    const events = { revoked: (partitions: readonly number[]) => this.#revoked(partitions) }
    const stream = this.#deps.source.messages({ signal, untilIdle, events })
    const messages = stream[Symbol.asyncIterator]()
    try {
      while (!signal.aborted) {
        await this.#slots.acquire(signal)
        const next = await messages.next()
        if (next.done) {
          this.#slots.release()
          break
        }
        this.#start(next.value)
      }
    } catch (err) {
      if (!isAbort(err) && !signal.aborted) throw err
    } finally {
      await messages.return?.()
    }
  }

  #start(msg: SourceMessage): void {
    this.#tracker.delivered(msg.partition, msg.offset)
    const deps = {
      ...this.#deps,
      ensureCollection: (spec: CollectionSpec) => this.#ensureCollection(spec),
    }
    this.#active++
    processMessage(msg, deps, this.#work.signal)
      .then(() => {
        this.#tracker.done(msg.partition, msg.offset)
        if (this.#deps.source.commitEagerly) void this.#commit()
      })
      .catch((err: unknown) => this.#onFatal(err))
      .finally(() => (this.#active--, this.#slots.release()))
  }

  #onFatal(err: unknown): void {
    // shutdown: the message stays uncommitted and comes back
    if (this.#work.signal.aborted) return void this.#abandoned++
    const error = toVectorizeError(err)
    if (!this.#fatal) {
      this.#fatal = error
      this.#deps.logger.error({ code: error.code }, `stopping: ${error.message}`)
    }
    this.#pull.abort()
  }

  /**
   * A rebalance takes partitions away: let their in-flight tasks finish (bounded), commit what is
   * done, then forget them, so a late completion is never committed by a worker that lost the
   * partition (tulios/kafkajs#1046). Unfinished work is redelivered to the new owner.
   */
  async #revoked(partitions: readonly number[]): Promise<RevokeOutcome> {
    const deadline = performance.now() + this.#options.revokeTimeoutMs
    while (this.#tracker.inflightIn(partitions) > 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    await this.#commit()
    const abandoned = this.#tracker.inflightIn(partitions)
    for (const partition of partitions) this.#tracker.revoke(partition)
    return { abandoned } // the source logs the revocation once, with this
  }

  #ensureCollection(spec: CollectionSpec): Promise<void> {
    const key = `${spec.name}\u0000${spec.model}\u0000${spec.dimensions}`
    let ensured = this.#collections.get(key)
    if (!ensured) {
      ensured = this.#deps.store.ensureCollection(spec, { signal: this.#work.signal })
      ensured.catch(() => this.#collections.delete(key))
      this.#collections.set(key, ensured)
    }
    return ensured
  }

  /** Commits serially; a failed commit is retried on the next tick (the positions stay pending). */
  #commit(): Promise<void> {
    this.#committing = this.#committing.then(async () => {
      const positions = this.#tracker.pending()
      if (positions.length === 0) return
      try {
        await this.#deps.source.commit(positions, { signal: AbortSignal.timeout(30_000) })
        this.#tracker.committed(positions)
      } catch (err) {
        this.#deps.logger.warn({ err: toVectorizeError(err).message }, 'commit failed; will retry')
      }
    })
    return this.#committing
  }
}
