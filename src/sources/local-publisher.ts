/**
 * LocalPublisher: appends task messages to the local queue's task log (format in local-log.ts),
 * a segmented log `tasks-<base offset>.log` (files/segments.ts). Any number of publishers, in any
 * number of processes, may append while a worker consumes: each append runs under the directory's
 * append lock, goes to the active segment (rolled first when full or old) and is fsynced before
 * `publish` resolves.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../observability/logger.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'
import type { TaskPublisher } from './source.ts'
import type { FileLock } from '../files/lock.ts'
import { waitLock } from '../files/lock.ts'
import type { SegmentSettings } from '../files/segments.ts'
import { adoptLegacyLog, segmentSettings } from '../files/segments.ts'
import { appendAll, SegmentWriter } from '../files/segment-writer.ts'
import { encodeRecord, recordTime, taskLogPrefix } from './local-log.ts'

export interface LocalPublisherConfig extends Partial<SegmentSettings> {
  /** The queue directory (`queue.dir`). */
  readonly dir: string
  /** How long `publish` waits for another publisher's append to finish. */
  readonly lockTimeoutMs?: number
}

export interface LocalDeps {
  readonly logger: Logger
}

export const appendLockName = 'append.lock'

/** Appends are written in pieces of about this size, so a huge batch is not copied twice at once. */
const writeChunkBytes = 1 << 20

export class LocalPublisher implements TaskPublisher {
  readonly kind = 'local'
  readonly #dir: string
  readonly #lockPath: string
  readonly #lockTimeoutMs: number
  readonly #log: SegmentWriter
  #turn: Promise<unknown> = Promise.resolve()
  #closed: Promise<void> | undefined

  static async create(config: LocalPublisherConfig, deps: LocalDeps): Promise<LocalPublisher> {
    const publisher = new LocalPublisher(config, deps.logger)
    try {
      await mkdir(config.dir, { recursive: true })
      await publisher.#locked(new AbortController().signal, async () => {
        await adoptLegacyLog(config.dir, taskLogPrefix)
        await publisher.#log.active()
      })
      return publisher
    } catch (err) {
      await publisher.close()
      throw unavailable(`cannot open the local queue log in ${config.dir}`, err)
    }
  }

  private constructor(config: LocalPublisherConfig, logger: Logger) {
    this.#dir = config.dir
    this.#lockPath = join(config.dir, appendLockName)
    this.#lockTimeoutMs = config.lockTimeoutMs ?? 30_000
    this.#log = new SegmentWriter({
      ...segmentSettings(config),
      dir: config.dir,
      prefix: taskLogPrefix,
      recordTime,
      logger: logger.child({ component: 'local-publisher', dir: config.dir }),
    })
  }

  async publish(values: readonly Uint8Array[], { signal }: Signal): Promise<number> {
    if (this.#closed) throw new VectorizeError('internal', `publisher for ${this.#dir} is closed`)
    signal.throwIfAborted()
    if (values.length === 0) return 0
    const now = Date.now()
    const records = values.map((value) => encodeRecord(value, now))
    // Calls of this process take turns here rather than polling the lock file against each other.
    const turn = this.#turn.then(() => this.#locked(signal, () => this.#append(records, now)))
    this.#turn = turn.catch(() => undefined)
    await turn
    return values.length
  }

  close(): Promise<void> {
    this.#closed ??= this.#turn.then(() => this.#log.close())
    return this.#closed
  }

  async #locked(signal: AbortSignal, work: () => Promise<void>): Promise<void> {
    const lock: FileLock = await waitLock(this.#lockPath, {
      signal,
      timeoutMs: this.#lockTimeoutMs,
    }).catch((err: unknown) => {
      if (signal.aborted) throw err
      throw unavailable(`cannot take the append lock of ${this.#dir}`, err)
    })
    try {
      await work()
    } finally {
      await lock.release()
    }
  }

  async #append(records: readonly Buffer[], now: number): Promise<void> {
    const bytes = records.reduce((sum, r) => sum + r.length, 0)
    try {
      const { file } = await this.#log.forAppend(bytes, now)
      await appendAll(file, pieces(records))
      await file.datasync()
    } catch (err) {
      throw unavailable(`cannot append to the local queue log in ${this.#dir}`, err)
    }
  }
}

/** The records joined into buffers of about `writeChunkBytes`. */
function* pieces(records: readonly Buffer[]): Generator<Buffer> {
  let pending: Buffer[] = []
  let pendingBytes = 0
  for (const record of records) {
    pending.push(record)
    pendingBytes += record.length
    if (pendingBytes >= writeChunkBytes) {
      yield Buffer.concat(pending, pendingBytes)
      pending = []
      pendingBytes = 0
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes)
}

export function unavailable(message: string, cause: unknown): VectorizeError {
  const reason = cause instanceof Error ? `: ${cause.message}` : ''
  return new VectorizeError('source_unavailable', `${message}${reason}`, { cause })
}
