/**
 * LocalSource: the embedded task source, a one-partition Kafka-like log on disk, so the worker
 * commits exactly as it does for Kafka. The queue directory holds:
 *
 * - `tasks.log`   the messages, one per line (format in local-log.ts), appended by LocalPublisher;
 * - `commit.json` `{"offset": <next line index>, "position": <byte position of that line>}`,
 *                 replaced atomically, so a restart seeks straight to the first uncommitted line;
 * - `consumer.lock` and `append.lock` (files/lock.ts).
 *
 * Offsets are line indexes, the partition is always 0 and the topic "local". Delivery is
 * at-least-once: after a crash, every line after the last durable commit is delivered again.
 */
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../observability/logger.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'
import type { ConsumeOptions, Position, SourceLag, SourceMessage, TaskSource } from './source.ts'
import type { FileLock } from '../files/lock.ts'
import { writeFileAtomic } from '../files/durable.ts'
import { readLines, type Line } from '../files/lines.ts'
import { decodeRecord } from './local-log.ts'
import type { LocalDeps } from './local-publisher.ts'
import { logFileName, unavailable } from './local-publisher.ts'
import type { Cursor, OpenedQueue } from './local-queue.ts'
import { commitFileName, openQueue } from './local-queue.ts'

export { LocalPublisher } from './local-publisher.ts'
export type { LocalDeps, LocalPublisherConfig } from './local-publisher.ts'

export interface LocalSourceConfig {
  /** The queue directory (`queue.dir`, default `./data/queue`). */
  readonly dir: string
  /** How often to look for new messages once the log has been read to its end. */
  readonly pollIntervalMs?: number
  /** Size of each read from the log; only a longer message makes the buffer grow. */
  readonly readChunkBytes?: number
}

export const localTopic = 'local'

export class LocalSource implements TaskSource {
  readonly kind = 'local'
  readonly #dir: string
  readonly #logPath: string
  readonly #lock: FileLock
  readonly #file: FileHandle
  readonly #logger: Logger
  readonly #pollIntervalMs: number
  readonly #readChunkBytes: number
  readonly #closing = new AbortController()
  /** Start position of every line from the durable commit up to the next undelivered one. */
  readonly #starts = new Map<number, number>()
  #durable: Cursor
  #next: Cursor
  #wanted: number
  #commits: Promise<void> = Promise.resolve()
  #reading: Promise<unknown> = Promise.resolve()
  #iterating = false
  /** Start of a line that failed its checksum once: it is read again before being given up on. */
  #suspect: number | undefined
  #closed: Promise<void> | undefined
  /** Lines counted so far for the lag (counting goes on from here: only new bytes are read). */
  #counted: Cursor
  #probing: Promise<{ lag: SourceLag[] }> | undefined

  static async create(config: LocalSourceConfig, deps: LocalDeps): Promise<LocalSource> {
    const opened = await openQueue(config.dir)
    return new LocalSource(config, opened, deps.logger)
  }

  private constructor(config: LocalSourceConfig, opened: OpenedQueue, logger: Logger) {
    this.#dir = opened.dir
    this.#logPath = join(opened.dir, logFileName)
    this.#lock = opened.lock
    this.#file = opened.file
    this.#logger = logger.child({ component: 'local-source', dir: opened.dir })
    this.#pollIntervalMs = config.pollIntervalMs ?? 200
    this.#readChunkBytes = config.readChunkBytes ?? 64 * 1024
    this.#durable = this.#next = this.#counted = opened.committed
    this.#wanted = opened.committed.offset
    this.#starts.set(opened.committed.offset, opened.committed.position)
  }

  /**
   * Messages from the committed position on, one at a time. At the end of the log it ends
   * (`untilIdle`) or polls for new lines; it ends quietly when the signal aborts or on close.
   */
  async *messages({ signal, untilIdle }: ConsumeOptions): AsyncGenerator<SourceMessage> {
    if (this.#iterating) {
      throw new VectorizeError('internal', 'the local source is already being read')
    }
    this.#iterating = true
    const stop = AbortSignal.any([signal, this.#closing.signal])
    try {
      while (!stop.aborted) {
        const damaged = yield* this.#readToEnd(stop)
        if (untilIdle && !damaged) return
        await sleep(this.#pollIntervalMs, undefined, { signal: stop }).catch(() => undefined)
      }
    } finally {
      this.#iterating = false
    }
  }

  /** One pass to the end of the log; true if it stopped early at a line to read again. */
  async *#readToEnd(stop: AbortSignal): AsyncGenerator<SourceMessage, boolean> {
    const lines = readLines(this.#file, this.#next.position, this.#readChunkBytes)
    try {
      for (;;) {
        if (stop.aborted) return false
        const pulled = lines.next()
        this.#reading = pulled.catch(() => undefined)
        const { value: line, done } = await pulled.catch((err: unknown) => {
          throw unavailable(`cannot read the local queue log ${this.#logPath}`, err)
        })
        if (done) return false
        const message = this.#decode(line)
        if (message === undefined) return true
        this.#next = { offset: message.offset + 1, position: line.end }
        this.#starts.set(this.#next.offset, line.end)
        yield message
      }
    } finally {
      await lines.return()
    }
  }

  #decode(line: Line): SourceMessage | undefined {
    const offset = this.#next.offset
    const decoded = decodeRecord(line.bytes)
    if (decoded) {
      return { topic: localTopic, partition: 0, offset, ...decoded }
    }
    if (this.#suspect !== line.start) {
      // A read racing the repair of a torn tail can see a mix of old and new bytes: look again.
      this.#suspect = line.start
      return undefined
    }
    this.#logger.warn(
      { offset, position: line.start },
      'delivering a damaged line of the task log as is',
    )
    return {
      topic: localTopic,
      partition: 0,
      offset,
      value: new Uint8Array(line.bytes),
      timestamp: Date.now(),
    }
  }

  /** Durable when it resolves. Concurrent commits share one write of the highest offset asked. */
  async commit(positions: readonly Position[], { signal }: Signal): Promise<void> {
    if (this.#closed) {
      throw new VectorizeError('internal', `the local source of ${this.#dir} is closed`)
    }
    signal.throwIfAborted()
    for (const { partition, offset } of positions) {
      if (partition !== 0) {
        throw new VectorizeError(
          'internal',
          `the local source has only partition 0, not ${partition}`,
        )
      }
      if (offset <= this.#wanted) continue
      if (!this.#starts.has(offset)) {
        throw new VectorizeError(
          'internal',
          `cannot commit offset ${offset} of ${this.#logPath}: only offsets below ${this.#next.offset} were delivered`,
        )
      }
      this.#wanted = offset
    }
    const write = this.#commits.then(() => this.#writeCommit())
    this.#commits = write.catch(() => undefined)
    await write
  }

  async #writeCommit(): Promise<void> {
    const from = this.#durable.offset
    const offset = this.#wanted
    const position = this.#starts.get(offset)
    if (offset <= from || position === undefined) return
    const path = join(this.#dir, commitFileName)
    try {
      // The consumer reads lines before their publisher's fsync; syncing here first means a commit
      // never points past data that a power loss could take back.
      await this.#file.datasync()
      await writeFileAtomic(path, `${JSON.stringify({ offset, position })}\n`)
    } catch (err) {
      throw unavailable(`cannot write the commit file ${path}`, err)
    }
    this.#durable = { offset, position }
    for (let done = from; done < offset; done++) this.#starts.delete(done)
  }

  /** The lag: complete lines in the log after the durable commit (one partition). */
  probe(): Promise<{ lag: SourceLag[] }> {
    if (this.#closed) return Promise.reject(unavailable(`${this.#logPath} is closed`, undefined))
    this.#probing ??= this.#countLag().finally(() => (this.#probing = undefined))
    return this.#probing
  }

  async #countLag(): Promise<{ lag: SourceLag[] }> {
    try {
      for await (const line of readLines(
        this.#file,
        this.#counted.position,
        this.#readChunkBytes,
      )) {
        this.#counted = { offset: this.#counted.offset + 1, position: line.end }
      }
    } catch (err) {
      throw unavailable(`cannot read the local queue log ${this.#logPath}`, err)
    }
    const messages = Math.max(0, this.#counted.offset - this.#durable.offset)
    return { lag: [{ partition: 0, messages }] }
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort()
      await this.#probing?.catch(() => undefined)
      await this.#reading
      await this.#commits
      await this.#file.close()
      await this.#lock.release()
    })()
    return this.#closed
  }
}
