/**
 * The writing end of a segmented log (segments.ts), shared by the task publisher and the
 * dead-letter writer. Every method runs under the log's lock, held by the caller: any number of
 * processes may write, each finds the active segment again under the lock (another one may have
 * rolled it), and a roll never races an append.
 *
 * A roll is crash-safe without a rename: the closed segment is complete (its torn tail, if any, was
 * cut first) and the next one appears as a new empty file, made durable with the directory before
 * anything is appended to it. A crash before that leaves the old segment active; after it, an
 * empty active segment. Either way the next offset is the same.
 */
import type { FileHandle } from 'node:fs/promises'
import { open } from 'node:fs/promises'
import type { Logger } from '../observability/logger.ts'
import { syncDir } from './durable.ts'
import { countLines, cutTornTail } from './lines.ts'
import type { Segment, SegmentSettings } from './segments.ts'
import { listSegments, segmentPath } from './segments.ts'

export interface SegmentWriterOptions extends SegmentSettings {
  readonly dir: string
  readonly prefix: string
  /** When the record starting `head` was written (ms since epoch), to roll by age. */
  readonly recordTime: (head: Buffer) => number | undefined
  readonly logger: Logger
}

export interface ActiveSegment {
  readonly segment: Segment
  /** Opened for appending and reading. */
  readonly file: FileHandle
  /** Its size, torn tail removed: where the next append lands. */
  readonly size: number
}

export class SegmentWriter {
  readonly #options: SegmentWriterOptions
  readonly #logger: Logger
  #open: { readonly segment: Segment; readonly file: FileHandle } | undefined
  /** Lines counted in the active segment so far, so a roll reads only what is new. */
  #counted: { base: number; end: number; lines: number } | undefined
  #firstRecord: { base: number; ms: number | undefined } | undefined

  constructor(options: SegmentWriterOptions) {
    this.#options = options
    this.#logger = options.logger.child({ log: options.prefix })
  }

  /** The active segment (the log is created if it has none), without a torn tail. */
  async active(): Promise<ActiveSegment> {
    const { dir, prefix } = this.#options
    const newest = (await listSegments(dir, prefix)).at(-1)
    if (newest === undefined) return this.#start(0)
    if (this.#open?.segment.base !== newest.base) await this.#switchTo(newest)
    const { segment, file } = this.#open!
    return { segment, file, size: await this.#removeTornTail(file, segment) }
  }

  /** Where `bytes` more go now: the active segment, rolled first when it is due. */
  async forAppend(bytes: number, now: number): Promise<ActiveSegment> {
    const active = await this.active()
    return (await this.#due(active, bytes, now)) ? this.#roll(active) : active
  }

  /** Rolls the active segment if it is due even without an append (an idle log ages). */
  async rollIfDue(now: number): Promise<boolean> {
    const active = await this.active()
    if (!(await this.#due(active, 0, now))) return false
    await this.#roll(active)
    return true
  }

  /** Closes the active segment and starts the next; false when the active one is empty. */
  async roll(): Promise<boolean> {
    const active = await this.active()
    if (active.size === 0) return false
    await this.#roll(active)
    return true
  }

  async close(): Promise<void> {
    const open = this.#open
    this.#open = undefined
    await open?.file.close()
  }

  async #due({ segment, file, size }: ActiveSegment, bytes: number, now: number) {
    if (size === 0) return false
    if (size + bytes > this.#options.segmentBytes) return true
    if (this.#options.segmentMs < 0) return false
    if (this.#firstRecord?.base !== segment.base) {
      const head = Buffer.alloc(Math.min(size, 256))
      await file.read(head, 0, head.length, 0)
      this.#firstRecord = { base: segment.base, ms: this.#options.recordTime(head) }
    }
    const first = this.#firstRecord.ms
    return first !== undefined && now - first >= this.#options.segmentMs
  }

  async #roll(active: ActiveSegment): Promise<ActiveSegment> {
    const next = active.segment.base + (await this.#lines(active))
    this.#logger.debug({ from: active.segment.base, to: next }, 'rolling the log')
    return this.#start(next)
  }

  /** Creates the segment starting at `base` and makes it the active one. */
  async #start(base: number): Promise<ActiveSegment> {
    const { dir, prefix } = this.#options
    const segment = { base, path: segmentPath(dir, prefix, base) }
    await this.#switchTo(segment)
    // The new name must be durable before a record in it is acknowledged.
    await syncDir(dir)
    const { file } = this.#open!
    return { segment, file, size: (await file.stat()).size }
  }

  async #switchTo(segment: Segment): Promise<void> {
    // a+: created if missing; appends land at the end, and the torn-tail check can read.
    const file = await open(segment.path, 'a+')
    const old = this.#open
    this.#open = { segment, file }
    await old?.file.close()
  }

  async #lines({ segment, file, size }: ActiveSegment): Promise<number> {
    let counted = this.#counted
    if (counted?.base !== segment.base || counted.end > size) {
      counted = { base: segment.base, end: 0, lines: 0 }
    }
    const more = await countLines(file, counted.end, size)
    this.#counted = { base: segment.base, end: more.end, lines: counted.lines + more.lines }
    return this.#counted.lines
  }

  /**
   * A torn last record was never acknowledged and no reader reads a line before its newline, so
   * it is cut off. Safe only under the lock: nobody else is writing.
   */
  async #removeTornTail(file: FileHandle, segment: Segment): Promise<number> {
    const { size, cut } = await cutTornTail(file)
    if (cut > 0) {
      this.#logger.warn(
        { segment: segment.path, bytes: cut },
        'removed a torn record left by a crashed writer',
      )
    }
    return size
  }
}

/**
 * Appends `chunks` at the end of `file` (opened for appending). If a write fails part way, the
 * whole lines it wrote stay (a reader may already have seen them: cutting them back could make an
 * offset name two different records) and the torn one is cut under the lock before the next
 * append; a retry may then write those lines again, which the worker tolerates (at-least-once).
 */
export async function appendAll(file: FileHandle, chunks: Iterable<Buffer>): Promise<void> {
  for (const data of chunks) {
    let written = 0
    while (written < data.length) {
      const { bytesWritten } = await file.write(data, written, data.length - written, null)
      written += bytesWritten
    }
  }
}
