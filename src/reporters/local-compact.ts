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
    let folded = 0
    for await (const line of readLines(source, folded)) {
      fold.apply(line.bytes, line.start)
      folded = line.end
    }
    const { kept, dropped } = retain(fold, options)
    const out = await open(temp, 'w')
    try {
      await writeEntries(out, source, kept)
      await out.sync()
      const swapped = await swap(dir, { source, ino, folded, out, temp, options })
      if (!swapped) return undefined
      return { bytesBefore: swapped.before, bytesAfter: swapped.after, tasks: kept.length, dropped }
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

/** Tasks to keep, in the order of their last activity, and how many finished ones were dropped. */
function retain(fold: StatusFold, options: CompactOptions) {
  const all = [...fold.entries()].sort((a, b) => a[1].seq - b[1].seq)
  const { statusRetentionMs: maxAge, statusRetentionBytes: maxBytes, now } = options
  const kept: [string, Readonly<Entry>][] = []
  let bytes = 0
  for (let i = all.length - 1; i >= 0; i--) {
    const [taskId, entry] = all[i]!
    const size = Buffer.byteLength(compactedStatus(taskId, entry) ?? '') + resultBytes(entry)
    const finished = entry.state === 'succeeded' || entry.state === 'failed'
    const old = maxAge >= 0 && now - entry.stateMs > maxAge
    const over = maxBytes >= 0 && bytes + size > maxBytes
    if (finished && (old || over)) continue
    kept.push([taskId, entry])
    bytes += size
  }
  return { kept: kept.reverse(), dropped: all.length - kept.length }
}

function resultBytes(entry: Readonly<Entry>): number {
  return entry.result ? entry.result.length + 1 : 0
}

/** Each task's compacted status record, then its last result line, copied verbatim. */
async function writeEntries(
  out: FileHandle,
  source: FileHandle,
  entries: readonly [string, Readonly<Entry>][],
): Promise<void> {
  let pending: Buffer[] = []
  let pendingBytes = 0
  const flush = async () => {
    await writeAll(out, Buffer.concat(pending, pendingBytes))
    pending = []
    pendingBytes = 0
  }
  for (const [taskId, entry] of entries) {
    const status = compactedStatus(taskId, entry)
    if (status !== undefined) {
      const line = Buffer.from(status)
      pending.push(line)
      pendingBytes += line.length
    }
    if (entry.result) {
      const line = Buffer.allocUnsafe(entry.result.length + 1)
      await readExactly(source, line, entry.result.start, entry.result.length)
      line[entry.result.length] = 0x0a
      pending.push(line)
      pendingBytes += line.length
    }
    if (pendingBytes >= 1 << 20) await flush()
  }
  if (pendingBytes > 0) await flush()
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
