/**
 * LocalPublisher: appends task messages to the local queue's `tasks.log` (format in local-log.ts).
 * Any number of publishers, in any number of processes, may append while a worker consumes: each
 * append runs under the directory's append lock and is fsynced before `publish` resolves.
 */
import type { FileHandle } from 'node:fs/promises'
import { mkdir, open } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../observability/logger.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'
import type { TaskPublisher } from './source.ts'
import { waitLock } from '../files/lock.ts'
import { syncDir } from '../files/durable.ts'
import { newline } from '../files/lines.ts'
import { encodeRecord } from './local-log.ts'

export interface LocalPublisherConfig {
  /** The queue directory (`queue.dir`). */
  readonly dir: string
  /** How long `publish` waits for another publisher's append to finish. */
  readonly lockTimeoutMs?: number
}

export interface LocalDeps {
  readonly logger: Logger
}

export const logFileName = 'tasks.log'
export const appendLockName = 'append.lock'

/** Appends are written in pieces of about this size, so a huge batch is not copied twice at once. */
const writeChunkBytes = 1 << 20

export class LocalPublisher implements TaskPublisher {
  readonly kind = 'local'
  readonly #path: string
  readonly #lockPath: string
  readonly #lockTimeoutMs: number
  readonly #file: FileHandle
  readonly #logger: Logger
  #turn: Promise<unknown> = Promise.resolve()
  #closed: Promise<void> | undefined

  static async create(config: LocalPublisherConfig, deps: LocalDeps): Promise<LocalPublisher> {
    const path = join(config.dir, logFileName)
    try {
      await mkdir(config.dir, { recursive: true })
      // a+: create if missing; appends always land at the end, and the torn-tail check can read.
      const file = await open(path, 'a+')
      await syncDir(config.dir)
      return new LocalPublisher(config, file, deps.logger)
    } catch (err) {
      throw unavailable(`cannot open the local queue log ${path}`, err)
    }
  }

  private constructor(config: LocalPublisherConfig, file: FileHandle, logger: Logger) {
    this.#path = join(config.dir, logFileName)
    this.#lockPath = join(config.dir, appendLockName)
    this.#lockTimeoutMs = config.lockTimeoutMs ?? 30_000
    this.#file = file
    this.#logger = logger.child({ component: 'local-publisher', path: this.#path })
  }

  async publish(values: readonly Uint8Array[], { signal }: Signal): Promise<number> {
    if (this.#closed) throw new VectorizeError('internal', `publisher for ${this.#path} is closed`)
    signal.throwIfAborted()
    if (values.length === 0) return 0
    const now = Date.now()
    const records = values.map((value) => encodeRecord(value, now))
    // Calls of this process take turns here rather than polling the lock file against each other.
    const turn = this.#turn.then(() => this.#appendLocked(records, signal))
    this.#turn = turn.catch(() => undefined)
    await turn
    return values.length
  }

  async #appendLocked(records: readonly Buffer[], signal: AbortSignal): Promise<void> {
    const lock = await waitLock(this.#lockPath, { signal, timeoutMs: this.#lockTimeoutMs }).catch(
      (err: unknown) => {
        if (signal.aborted) throw err
        throw unavailable(`cannot take the append lock of ${this.#path}`, err)
      },
    )
    try {
      await this.#removeTornTail()
      await this.#append(records)
      await this.#file.datasync()
    } catch (err) {
      throw unavailable(`cannot append to the local queue log ${this.#path}`, err)
    } finally {
      await lock.release()
    }
  }

  close(): Promise<void> {
    this.#closed ??= this.#turn.then(() => this.#file.close())
    return this.#closed
  }

  /**
   * A log that does not end with a newline ends with a record torn by a publisher that crashed
   * mid-append. That record was never acknowledged, so it is dropped; the consumer never reads a
   * line before its newline, so it cannot have seen it.
   */
  async #removeTornTail(): Promise<void> {
    const { size } = await this.#file.stat()
    if (size === 0 || (await this.#byteAt(size - 1)) === newline) return
    const keep = await this.#endOfLastLine(size)
    await this.#file.truncate(keep)
    this.#logger.warn({ bytes: size - keep }, 'removed a torn record left by a crashed publisher')
  }

  async #byteAt(position: number): Promise<number | undefined> {
    const one = Buffer.alloc(1)
    await this.#file.read(one, 0, 1, position)
    return one[0]
  }

  /** Position just past the last newline before `size`, scanning backwards in chunks. */
  async #endOfLastLine(size: number): Promise<number> {
    const chunk = Buffer.allocUnsafe(64 * 1024)
    let end = size
    while (end > 0) {
      const start = Math.max(0, end - chunk.length)
      const { bytesRead } = await this.#file.read(chunk, 0, end - start, start)
      const nl = chunk.subarray(0, bytesRead).lastIndexOf(newline)
      if (nl >= 0) return start + nl + 1
      end = start
    }
    return 0
  }

  async #append(records: readonly Buffer[]): Promise<void> {
    let pending: Buffer[] = []
    let pendingBytes = 0
    for (const record of records) {
      pending.push(record)
      pendingBytes += record.length
      if (pendingBytes >= writeChunkBytes) {
        await this.#writeAll(Buffer.concat(pending, pendingBytes))
        pending = []
        pendingBytes = 0
      }
    }
    if (pendingBytes > 0) await this.#writeAll(Buffer.concat(pending, pendingBytes))
  }

  async #writeAll(data: Buffer): Promise<void> {
    let written = 0
    while (written < data.length) {
      const { bytesWritten } = await this.#file.write(data, written, data.length - written, null)
      written += bytesWritten
    }
  }
}

export function unavailable(message: string, cause: unknown): VectorizeError {
  const reason = cause instanceof Error ? `: ${cause.message}` : ''
  return new VectorizeError('source_unavailable', `${message}${reason}`, { cause })
}
