/**
 * GroupAppender: durable appends with group commit. The worker writes several records per task and
 * thousands of tasks a minute; an fsync per record would cap it at the disk's sync rate. Records
 * that arrive while a flush is in progress wait for the next one, which writes them all with one
 * `write` and one `fdatasync`, then resolves every caller.
 */
import type { FileHandle } from 'node:fs/promises'
import { VectorizeError } from '../worker/errors.ts'
import type { AppendFile } from './local-files.ts'
import { newline } from '../files/lines.ts'

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
  readonly #file: FileHandle
  readonly #path: string
  #queue: Pending[] = []
  #flushing: Promise<void> | undefined
  /** Set when the file may end mid-line (a crash or a failed write): the next write starts a line. */
  #startLine: boolean
  #closed = false
  #records = 0
  #flushes = 0

  constructor({ file, endsMidLine }: AppendFile, path: string) {
    this.#file = file
    this.#path = path
    this.#startLine = endsMidLine
  }

  get stats(): AppendStats {
    return { records: this.#records, flushes: this.#flushes }
  }

  /** Resolves once `record` (one line, newline included) is on disk. */
  append(record: Buffer): Promise<void> {
    if (this.#closed)
      return Promise.reject(new VectorizeError('internal', `${this.#path} is closed`))
    return new Promise((resolve, reject) => {
      this.#queue.push({ record, resolve, reject })
      this.#flushing ??= this.#flushAll()
    })
  }

  /** Waits for every accepted record; later appends are refused. */
  async close(): Promise<void> {
    this.#closed = true
    await this.#flushing
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
    const parts = batch.map((p) => p.record)
    if (this.#startLine) parts.unshift(Buffer.from([newline]))
    const data = Buffer.concat(parts)
    try {
      let written = 0
      while (written < data.length) {
        const { bytesWritten } = await this.#file.write(data, written, data.length - written, null)
        written += bytesWritten
      }
      this.#startLine = false
      await this.#file.datasync()
    } catch (err) {
      this.#startLine = true
      const reason = err instanceof Error ? `: ${err.message}` : ''
      const error = new VectorizeError(
        'reporter_unavailable',
        `cannot append to ${this.#path}${reason}`,
        {
          cause: err,
        },
      )
      for (const p of batch) p.reject(error)
      return
    }
    this.#records += batch.length
    this.#flushes++
    for (const p of batch) p.resolve()
  }
}
