/**
 * LocalSource: the embedded task source, a one-partition Kafka-like log on disk, so the worker
 * commits exactly as it does for Kafka. The queue directory holds:
 *
 * - `tasks-<base offset>.log` the messages, one per line (format in local-log.ts), in segments
 *                 (files/segments.ts) appended by LocalPublisher, deleted by retention once consumed
 *                 (local-maintenance.ts);
 * - `commit.json` the next offset and where its line starts (local-queue.ts), replaced
 *                 atomically, so a restart seeks straight to the first uncommitted line;
 * - `consumer.lock` and `append.lock` (files/lock.ts).
 *
 * Offsets are line indexes across segments, the partition is always 0 and the topic "local".
 * Delivery is at-least-once: after a crash, every line after the last durable commit is delivered
 * again.
 */
import type { FileHandle } from 'node:fs/promises'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../observability/logger.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'
import type { ConsumeOptions, Position, SourceLag, SourceMessage, TaskSource } from './source.ts'
import type { FileLock } from '../files/lock.ts'
import { syncFile, writeFileAtomic } from '../files/durable.ts'
import { readLines, type Line } from '../files/lines.ts'
import type { Segment } from '../files/segments.ts'
import { listSegments, segmentPath } from '../files/segments.ts'
import { LogEnd } from './local-end.ts'
import type { TaskLogSettings } from './local-maintenance.ts'
import { taskLogUpkeep } from './local-maintenance.ts'
import type { Periodic } from '../files/periodic.ts'
import { decodeRecord, taskLogPrefix } from './local-log.ts'
import type { LocalDeps } from './local-publisher.ts'
import { unavailable } from './local-publisher.ts'
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
  /** How long opening waits for a publisher's append to finish. */
  readonly lockTimeoutMs?: number
  /** Roll and retain the task log every `intervalMs` (the worker's source does). */
  readonly maintenance?: TaskLogSettings & { readonly intervalMs: number }
}

export const localTopic = 'local'

/** How a pass over the current segment ended. */
type PassEnd = 'end' | 'stopped' | 'again'

export class LocalSource implements TaskSource {
  readonly kind = 'local'
  readonly #dir: string
  readonly #lock: FileLock
  readonly #logger: Logger
  readonly #pollIntervalMs: number
  readonly #readChunkBytes: number
  readonly #closing = new AbortController()
  readonly #end: LogEnd
  /** Start of every line from the durable commit up to the next undelivered one. */
  readonly #starts = new Map<number, Cursor>()
  /** The segment being read. */
  #segment: Segment
  #file: FileHandle
  #durable: Cursor
  #next: Cursor
  #wanted: number
  #commits: Promise<void> = Promise.resolve()
  #reading: Promise<unknown> = Promise.resolve()
  #iterating = false
  /** Start of a line that failed its checksum once: it is read again before being given up on. */
  #suspect: number | undefined
  #closed: Promise<void> | undefined
  #probing: Promise<{ lag: SourceLag[] }> | undefined
  #upkeep: Periodic | undefined

  static async create(config: LocalSourceConfig, deps: LocalDeps): Promise<LocalSource> {
    const logger = deps.logger.child({ component: 'local-source', dir: config.dir })
    const opened = await openQueue(config.dir, {
      lockTimeoutMs: config.lockTimeoutMs ?? 30_000,
      logger,
    })
    const source = new LocalSource(config, opened, logger)
    if (config.maintenance) source.#upkeep = taskLogUpkeep(config.dir, config.maintenance, logger)
    return source
  }

  private constructor(config: LocalSourceConfig, opened: OpenedQueue, logger: Logger) {
    this.#dir = opened.dir
    this.#lock = opened.lock
    this.#segment = opened.segment
    this.#file = opened.file
    this.#logger = logger
    this.#pollIntervalMs = config.pollIntervalMs ?? 200
    this.#readChunkBytes = config.readChunkBytes ?? 64 * 1024
    this.#end = new LogEnd(opened.dir)
    this.#durable = this.#next = opened.committed
    this.#wanted = opened.committed.offset
    this.#starts.set(opened.committed.offset, opened.committed)
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

  /** To the end of the log, segment after segment; true if it stopped early at a line to reread. */
  async *#readToEnd(stop: AbortSignal): AsyncGenerator<SourceMessage, boolean> {
    for (;;) {
      const first = yield* this.#readSegment(stop)
      if (first !== 'end') return first === 'again'
      const following = await this.#following()
      if (following === undefined) return false
      // The segment was closed before `following` was created, so everything appended to it is
      // there now: read it to its end once more before moving on.
      const last = yield* this.#readSegment(stop)
      if (last !== 'end') return last === 'again'
      const entering = this.#enter(following)
      this.#reading = entering.catch(() => undefined)
      await entering
    }
  }

  /** Lines of the current segment from the next position on. */
  async *#readSegment(stop: AbortSignal): AsyncGenerator<SourceMessage, PassEnd> {
    const lines = readLines(this.#file, this.#next.position, this.#readChunkBytes)
    try {
      for (;;) {
        if (stop.aborted) return 'stopped'
        const pulled = lines.next()
        this.#reading = pulled.catch(() => undefined)
        const { value: line, done } = await pulled.catch((err: unknown) => {
          throw unavailable(`cannot read the local queue log ${this.#segment.path}`, err)
        })
        if (done) return 'end'
        const message = this.#decode(line)
        if (message === undefined) return 'again'
        this.#next = { offset: message.offset + 1, segment: this.#segment.base, position: line.end }
        this.#starts.set(this.#next.offset, this.#next)
        yield message
      }
    } finally {
      await lines.return()
    }
  }

  /** The segment after the current one, if the current one was rolled. */
  async #following(): Promise<Segment | undefined> {
    const segments = await listSegments(this.#dir, taskLogPrefix).catch((err: unknown) => {
      throw unavailable(`cannot list the local queue log in ${this.#dir}`, err)
    })
    return segments.find((s) => s.base > this.#segment.base)
  }

  async #enter(segment: Segment): Promise<void> {
    const offset = this.#next.offset
    if (segment.base !== offset) {
      // Rolls name the next segment by the lines of the last one, so this means files were
      // changed by hand; offsets must never go back, so a lower base is refused.
      if (segment.base < offset) {
        throw new VectorizeError(
          'source_unavailable',
          `${segment.path} starts at offset ${segment.base}, but ${this.#segment.path} ends at ${offset}`,
        )
      }
      this.#logger.warn({ from: offset, to: segment.base }, 'the task log skips offsets')
    }
    const file = await open(segment.path, 'r').catch((err: unknown) => {
      throw unavailable(`cannot open the local queue log ${segment.path}`, err)
    })
    const old = this.#file
    this.#segment = segment
    this.#file = file
    await old.close()
    this.#next = { offset: segment.base, segment: segment.base, position: 0 }
    this.#starts.set(segment.base, this.#next)
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
      { offset, segment: this.#segment.path, position: line.start },
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
          `cannot commit offset ${offset} of the local queue ${this.#dir}: only offsets below ${this.#next.offset} were delivered`,
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
    const cursor = this.#starts.get(offset)
    if (offset <= from || cursor === undefined) return
    const path = join(this.#dir, commitFileName)
    try {
      // The consumer reads lines before their publisher's fsync; syncing here first means a commit
      // never points past data that a power loss could take back. Closed segments were synced
      // before they were rolled.
      // (A segment deleted by retention was consumed and synced long before.)
      await syncFile(segmentPath(this.#dir, taskLogPrefix, cursor.segment))
      await writeFileAtomic(path, `${JSON.stringify(cursor)}\n`)
    } catch (err) {
      throw unavailable(`cannot write the commit file ${path}`, err)
    }
    this.#durable = cursor
    for (let done = from; done < offset; done++) this.#starts.delete(done)
  }

  /** The lag: complete lines in the log after the durable commit (one partition). */
  probe(): Promise<{ lag: SourceLag[] }> {
    if (this.#closed) return Promise.reject(unavailable(`${this.#dir} is closed`, undefined))
    this.#probing ??= this.#countLag().finally(() => (this.#probing = undefined))
    return this.#probing
  }

  async #countLag(): Promise<{ lag: SourceLag[] }> {
    let end: number | undefined
    try {
      end = await this.#end.next()
    } catch (err) {
      throw unavailable(`cannot read the local queue log in ${this.#dir}`, err)
    }
    const messages = Math.max(0, (end ?? 0) - this.#durable.offset)
    return { lag: [{ partition: 0, messages }] }
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort()
      await this.#upkeep?.close()
      await this.#probing?.catch(() => undefined)
      await this.#reading
      await this.#commits
      await this.#file.close()
      await this.#lock.release()
    })()
    return this.#closed
  }
}
