/**
 * GroupAppender: durable appends with group commit. The worker writes several records per task and
 * thousands of tasks a minute; an fsync per record would cap it at the disk's sync rate. Records
 * that arrive while a flush is in progress wait for the next one, which writes them all with one
 * `write` and one `fdatasync`, then resolves every caller.
 *
 * Each flush holds the file's write lock: other processes append to the same files (`vectorize
 * submit` writes `queued` records), and compaction or a roll replaces or closes them. Under the
 * lock, the target says where to write now (the file reopened if it was replaced, the active
 * segment of a log rolled when due) and cuts a torn tail left by a writer that crashed.
 */
import type { FileHandle } from 'node:fs/promises'
import { VectorizeError } from '../worker/errors.ts'
import { waitLock } from '../files/lock.ts'
import { appendAll } from '../files/segment-writer.ts'

/** Where a flush writes; called under the lock. */
export interface AppendTarget {
  prepare(bytes: number, now: number): Promise<{ readonly file: FileHandle; readonly size: number }>
  close(): Promise<void>
}

export interface AppenderOptions {
  /** The file or log, for error messages. */
  readonly name: string
  readonly lockPath: string
  readonly lockTimeoutMs: number
}

interface Pending {
  readonly record: Buffer
  readonly resolve: () => void
  readonly reject: (err: unknown) => void
}

export interface AppendStats {
  /** Records made durable. */
  readonly records: number
  /** `fdatasync` calls that made them so. */
  readonly flushes: number
}

export class GroupAppender {
  readonly #target: AppendTarget
  readonly #options: AppenderOptions
  readonly #never = new AbortController().signal
  #queue: Pending[] = []
  #flushing: Promise<void> | undefined
  #closed = false
  #records = 0
  #flushes = 0

  constructor(target: AppendTarget, options: AppenderOptions) {
    this.#target = target
    this.#options = options
  }

  get stats(): AppendStats {
    return { records: this.#records, flushes: this.#flushes }
  }

  /** Resolves once `record` (one line, newline included) is on disk. */
  append(record: Buffer): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new VectorizeError('internal', `${this.#options.name} is closed`))
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ record, resolve, reject })
      this.#flushing ??= this.#flushAll()
    })
  }

  /** Waits for every accepted record, then closes the file; later appends are refused. */
  async close(): Promise<void> {
    this.#closed = true
    await this.#flushing
    await this.#target.close()
  }

  async #flushAll(): Promise<void> {
    // Let the callers of this same tick join the first flush.
    await Promise.resolve()
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue
        this.#queue = []
        await this.#flush(batch)
      }
    } finally {
      this.#flushing = undefined
    }
  }

  async #flush(batch: readonly Pending[]): Promise<void> {
    const data = Buffer.concat(batch.map((p) => p.record))
    try {
      const { lockPath, lockTimeoutMs } = this.#options
      const lock = await waitLock(lockPath, { signal: this.#never, timeoutMs: lockTimeoutMs })
      try {
        const { file } = await this.#target.prepare(data.length, Date.now())
        await appendAll(file, [data])
        await file.datasync()
      } finally {
        await lock.release()
      }
    } catch (err) {
      const reason = err instanceof Error ? `: ${err.message}` : ''
      const error = new VectorizeError(
        'reporter_unavailable',
        `cannot append to ${this.#options.name}${reason}`,
        { cause: err },
      )
      for (const p of batch) p.reject(error)
      return
    }
    this.#records += batch.length
    this.#flushes++
    for (const p of batch) p.resolve()
  }
}
