/**
 * Compaction of `status.log`, as Kafka compacts a topic by key: each task keeps its latest state
 * (with its attempts, progress and error: local-fold.ts) and its last result; every other record
 * goes. Finished tasks (succeeded, failed) older than `queue.status_retention_ms`, or beyond
 * `queue.status_retention_bytes` counting from the newest, are dropped; a task still queued or
 * running never is.
 *
 * Writers (the worker, `vectorize submit`) keep appending meanwhile. The file is folded and the
 * compacted copy written beside it (`status.log.compacting`) without the write lock; then, under
 * it, the lines appended since the fold are copied over verbatim, the copy is fsynced and renamed
 * over `status.log`, and the directory fsynced. Writers reopen the file under the same lock
 * (files/replaceable.ts), so nothing lands in the old copy after it was read. A crash at any point
 * leaves either the old file or the new one, plus at most a leftover copy that the next compaction
 * (or the next reporter to open) removes. Compactions take turns through `compact.lock`.
 */
import type { FileHandle } from 'node:fs/promises'
import { open, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { syncDir } from '../files/durable.ts'
import { endOfLastLine, readLines } from '../files/lines.ts'
import type { FileLock } from '../files/lock.ts'
import { errorCode, waitLock } from '../files/lock.ts'
import type { Entry } from './local-fold.ts'
import { compactedStatus, StatusFold } from './local-fold.ts'

export const statusFileName = 'status.log'
export const statusLockName = 'status.lock'
export const compactLockName = 'compact.lock'
export const compactingFileName = 'status.log.compacting'

export interface StatusRetention {
  /** Finished tasks whose last state is older than this (ms) are dropped; -1: no limit. */
  readonly statusRetentionMs: number
  /** Finished tasks are dropped, oldest first, beyond this many bytes of status; -1: no limit. */
  readonly statusRetentionBytes: number
}

export interface CompactOptions extends StatusRetention {
  readonly now: number
  readonly lockTimeoutMs: number
}

export interface Compacted {
  readonly bytesBefore: number
  readonly bytesAfter: number
  /** Tasks kept. */
  readonly tasks: number
  /** Finished tasks dropped by status retention. */
  readonly dropped: number
}

/** Compacts `dir/status.log`; undefined when there is none. */
export async function compactStatus(dir: string, options: CompactOptions) {
  const never = new AbortController().signal
  const lock = await waitLock(join(dir, compactLockName), {
    signal: never,
    timeoutMs: options.lockTimeoutMs,
  })
  try {
    await removeLeftover(dir)
    return await compactLocked(dir, options)
  } finally {
    await lock.release()
  }
}

/** A copy left by a compaction that was killed before its rename (hold `compact.lock`). */
export async function removeLeftover(dir: string): Promise<void> {
  await rm(join(dir, compactingFileName), { force: true })
}

async function compactLocked(dir: string, options: CompactOptions): Promise<Compacted | undefined> {
  const path = join(dir, statusFileName)
  let source: FileHandle
  try {
    source = await open(path, 'r')
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined
    throw err
  }
  const temp = join(dir, compactingFileName)
  try {
    const { ino } = await source.stat()
    const fold = new StatusFold()
    let folded = 0 // where the lines folded end
    for await (const line of readLines(source, 0, 1 << 20)) {
      fold.apply(line.bytes, line.start)
      folded = line.end
    }
    const kept = retain(fold, options)
    const out = await open(temp, 'w')
    try {
      await writeKept(out, source, kept, folded)
      await out.sync()
      const swapped = await swap(dir, { source, ino, folded, out, temp, options })
      if (!swapped) return undefined
      const { tasks, dropped } = kept
      return { bytesBefore: swapped.before, bytesAfter: swapped.after, tasks, dropped }
    } finally {
      await out.close()
    }
  } finally {
    await source.close()
    await rm(temp, { force: true })
  }
}

interface Swap {
  readonly source: FileHandle
  readonly ino: number
  readonly folded: number
  readonly out: FileHandle
  readonly temp: string
  readonly options: CompactOptions
}

/** Under the write lock: copies what was appended since the fold, then replaces the file. */
async function swap(dir: string, s: Swap): Promise<{ before: number; after: number } | undefined> {
  const path = join(dir, statusFileName)
  const never = new AbortController().signal
  const lock: FileLock = await waitLock(join(dir, statusLockName), {
    signal: never,
    timeoutMs: s.options.lockTimeoutMs,
  })
  try {
    // Replaced since we opened it: not by a compaction (we hold compact.lock), so by hand.
    if ((await stat(path)).ino !== s.ino) return undefined
    const { size } = await s.source.stat()
    const end = await endOfLastLine(s.source, size) // a torn tail was never acknowledged
    if (end < s.folded) return undefined // cut below what we folded: fold again next time
    await copyRange(s.source, s.out, s.folded, end)
    await s.out.sync()
    const after = (await s.out.stat()).size
    await rename(s.temp, path)
    await syncDir(dir)
    return { before: size, after }
  } finally {
    await lock.release()
  }
}

interface Kept {
  /** Compacted status records of the tasks kept, oldest state first. */
  readonly statuses: readonly string[]
  /** Where their last result lines start in the folded file. */
  readonly results: ReadonlySet<number>
  readonly tasks: number
  readonly dropped: number
}

/**
 * The tasks to keep. Newest state first, each task's compacted record and last result count
 * against the size limit; a finished task past the age or size limit is dropped.
 */
function retain(fold: StatusFold, options: CompactOptions): Kept {
  const all = [...fold.entries()].sort((a, b) => b[1].stateMs - a[1].stateMs || b[1].seq - a[1].seq)
  const { statusRetentionMs: maxAge, statusRetentionBytes: maxBytes, now } = options
  const statuses: string[] = []
  const results = new Set<number>()
  let bytes = 0
  let tasks = 0
  for (const [taskId, entry] of all) {
    const status = compactedStatus(taskId, entry)
    const size = (status === undefined ? 0 : Buffer.byteLength(status)) + resultBytes(entry)
    const finished = entry.state === 'succeeded' || entry.state === 'failed'
    const old = maxAge >= 0 && now - entry.stateMs > maxAge
    const over = maxBytes >= 0 && bytes + size > maxBytes
    if (finished && (old || over)) continue
    if (status !== undefined) statuses.push(status)
    if (entry.result) results.add(entry.result.start)
    bytes += size
    tasks++
  }
  return { statuses: statuses.reverse(), results, tasks, dropped: all.length - tasks }
}

function resultBytes(entry: Readonly<Entry>): number {
  return entry.result ? entry.result.length + 1 : 0
}

/**
 * The compacted records, then the results kept, copied verbatim in one sequential pass over the
 * folded part of the file (a read per result would cost a system call each).
 */
async function writeKept(out: FileHandle, source: FileHandle, kept: Kept, folded: number) {
  const writer = new BufferedWriter(out)
  for (const status of kept.statuses) await writer.add(Buffer.from(status))
  for await (const line of readLines(source, 0, 1 << 20)) {
    if (line.start >= folded) break
    if (kept.results.has(line.start)) await writer.add(line.bytes, true)
  }
  await writer.flush()
}

/** Writes in pieces of about 1 MiB. */
class BufferedWriter {
  readonly #out: FileHandle
  #pending: Buffer[] = []
  #bytes = 0

  constructor(out: FileHandle) {
    this.#out = out
  }

  /** Adds `data` (copied: it may be a view into a reader's buffer), then a newline if asked. */
  async add(data: Buffer, newline = false): Promise<void> {
    this.#pending.push(Buffer.from(data))
    this.#bytes += data.length
    if (newline) {
      this.#pending.push(Buffer.from([0x0a]))
      this.#bytes++
    }
    if (this.#bytes >= 1 << 20) await this.flush()
  }

  async flush(): Promise<void> {
    if (this.#bytes === 0) return
    await writeAll(this.#out, Buffer.concat(this.#pending, this.#bytes))
    this.#pending = []
    this.#bytes = 0
  }
}

async function copyRange(from: FileHandle, to: FileHandle, start: number, end: number) {
  const chunk = Buffer.allocUnsafe(1 << 20)
  for (let position = start; position < end;) {
    const length = Math.min(chunk.length, end - position)
    await readExactly(from, chunk, position, length)
    await writeAll(to, chunk.subarray(0, length))
    position += length
  }
}

async function readExactly(file: FileHandle, into: Buffer, position: number, length: number) {
  let read = 0
  while (read < length) {
    const { bytesRead } = await file.read(into, read, length - read, position + read)
    if (bytesRead === 0) throw new Error(`${length} bytes expected at ${position}, file ends first`)
    read += bytesRead
  }
}

async function writeAll(file: FileHandle, data: Buffer): Promise<void> {
  let written = 0
  while (written < data.length) {
    const { bytesWritten } = await file.write(data, written, data.length - written, null)
    written += bytesWritten
  }
}
