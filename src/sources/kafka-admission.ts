/**
 * The queue in front of the crash guard (kafka-guard.ts). A message that must be admitted (its
 * partition's first since assignment, or any while a partition is careful) is held here with its
 * partition paused, its marker is written, and only then is it handed to the buffer.
 *
 * A marker commits the message's own offset, so it is written only once everything before it in
 * its partition is committed (or it is the partition's first message since assignment). While a
 * partition is careful — including from the moment a message with deaths is found — a message is
 * admitted only once everything handed out is committed, so it runs alone and a death is charged
 * to it alone.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../observability/logger.ts'
import type { CrashGuard } from './kafka-guard.ts'
import type { SourceMessage } from './source.ts'

/** What the source knows about a partition it owns. */
export interface Owned {
  /** One past the last offset the client delivered; unknown until something is. */
  next?: number
  /** One past the last offset handed to the buffer. */
  pushed?: number
  paused: boolean
  /** A message of it waits for admission: the partition stays paused until it is through. */
  held: boolean
  revoking: boolean
}

/** The source's side: its partitions, its commits and its buffer. */
export interface AdmissionHost {
  readonly owned: ReadonlyMap<number, Owned>
  /** The offset last committed for a partition; -1 when none. */
  committed(partition: number): number
  /** Hands an admitted message to the buffer. */
  push(message: SourceMessage): void
  /** Resumes a partition that is no longer held (unless the buffer is full). */
  release(partition: number): void
  readonly closing: AbortSignal
  readonly logger: Logger
}

/** Backoff while a marker cannot be read or written (broker unavailable). */
const retryMs = 500

export class Admissions {
  readonly #guard: CrashGuard
  readonly #host: AdmissionHost
  #pending: SourceMessage[] = []
  #pumping = false

  constructor(guard: CrashGuard, host: AdmissionHost) {
    this.#guard = guard
    this.#host = host
  }

  get length(): number {
    return this.#pending.length
  }

  /** Whether a delivered message of this partition must wait here. */
  holds(partition: number, owned: Owned): boolean {
    return owned.held || this.#guard.needsAdmission(partition)
  }

  add(message: SourceMessage): void {
    this.#pending.push(message)
    void this.pump()
  }

  /** Forgets the held messages of revoked partitions (they are delivered again to the next owner). */
  drop(partitions: ReadonlySet<number>): void {
    this.#pending = this.#pending.filter((m) => !partitions.has(m.partition))
  }

  /** Admits what can be admitted now; call again after commits and rebalances. */
  async pump(): Promise<void> {
    if (this.#pumping) return
    this.#pumping = true
    try {
      while (!this.#host.closing.aborted) {
        this.#releaseHeld()
        const msg = this.#pending[0]
        if (!msg || !this.#atCommitPoint(msg)) return
        const { partition, offset } = msg
        const crashes = await this.#retrying(msg, () => this.#guard.inspect(partition, offset))
        if (crashes === undefined || this.#pending[0] !== msg) continue
        if (this.#guard.serial && !this.#quiet()) return // on again after the next commit
        const marked = await this.#retrying(msg, () => this.#guard.mark(partition).then(() => true))
        if (marked === undefined || this.#pending[0] !== msg) continue
        this.#pending.shift()
        if (this.#host.owned.has(partition)) {
          this.#host.push(crashes > 0 ? { ...msg, crashes } : msg)
        }
      }
    } finally {
      this.#pumping = false
    }
  }

  /** A marker commits the message's own offset: only where everything before it is committed. */
  #atCommitPoint(msg: SourceMessage): boolean {
    return this.#guard.first(msg.partition) || this.#host.committed(msg.partition) >= msg.offset
  }

  /** Everything handed out is committed: a message handed out now runs alone. */
  #quiet(): boolean {
    return [...this.#host.owned.keys()].every((p) => this.#settled(p))
  }

  /** Everything handed out from this partition is committed. */
  #settled(partition: number): boolean {
    const pushed = this.#host.owned.get(partition)?.pushed
    return pushed === undefined || this.#host.committed(partition) >= pushed
  }

  /** A guard step; on failure (broker unavailable) it logs, waits and resolves undefined. */
  async #retrying<T>(msg: SourceMessage, step: () => Promise<T>): Promise<T | undefined> {
    try {
      return await step()
    } catch (err) {
      if (this.#host.closing.aborted) return undefined
      this.#host.logger.warn(
        { partition: msg.partition, offset: msg.offset, err: (err as Error).message },
        'cannot read or write the crash-guard marker; retrying',
      )
      await sleep(retryMs, undefined, { signal: this.#host.closing }).catch(() => undefined)
      return undefined
    }
  }

  /** Resumes held partitions with nothing waiting: at once, or while careful once settled. */
  #releaseHeld(): void {
    const serial = this.#guard.serial
    for (const [p, owned] of this.#host.owned) {
      if (!owned.held || owned.revoking || this.#pending.some((m) => m.partition === p)) continue
      if (serial && !this.#settled(p)) continue
      owned.held = false
      this.#host.release(p)
    }
  }
}
