/**
 * Opening a local queue directory for consuming: take the consumer lock, make sure the task log
 * exists (adopting a pre-segment `tasks.log`), read `commit.json`, and find the segment and line
 * it points at.
 *
 * `commit.json` is `{"offset": <next offset>, "segment": <base of its segment>, "position": <byte
 * position of that line in the segment>}`, replaced atomically. One written before segments
 * existed has no `segment`: its position is in `tasks.log`, which became segment 0.
 */
import type { FileHandle } from 'node:fs/promises'
import { mkdir, open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../observability/logger.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { FileLock } from '../files/lock.ts'
import { errorCode, tryLock, waitLock } from '../files/lock.ts'
import type { Segment } from '../files/segments.ts'
import { adoptLegacyLog, listSegments, segmentSettings } from '../files/segments.ts'
import { SegmentWriter } from '../files/segment-writer.ts'
import { recordTime, taskLogPrefix } from './local-log.ts'
import { appendLockName, unavailable } from './local-publisher.ts'

export const consumerLockName = 'consumer.lock'
export const commitFileName = 'commit.json'

export interface Cursor {
  /** Offset of the line (line index across segments). */
  readonly offset: number
  /** Base offset of the segment holding it. */
  readonly segment: number
  /** Byte position of the start of that line in its segment. */
  readonly position: number
}

export interface OpenedQueue {
  readonly dir: string
  readonly lock: FileLock
  /** The segment of the committed position, opened read-only. */
  readonly segment: Segment
  readonly file: FileHandle
  readonly committed: Cursor
}

export interface OpenOptions {
  readonly lockTimeoutMs: number
  readonly logger: Logger
}

/** Everything acquired here is released again if a later step fails. */
export async function openQueue(dir: string, options: OpenOptions): Promise<OpenedQueue> {
  try {
    await mkdir(dir, { recursive: true })
  } catch (err) {
    throw unavailable(`cannot create the local queue directory ${dir}`, err)
  }
  const lock = await lockConsumer(dir)
  try {
    await prepareLog(dir, options)
    const saved = await readCommit(dir)
    const { segment, committed } = await locate(dir, saved)
    const file = await open(segment.path, 'r').catch((err: unknown) => {
      throw unavailable(`cannot open the local queue log ${segment.path}`, err)
    })
    try {
      await checkCommit(file, committed, segment, dir)
    } catch (err) {
      await file.close()
      throw err
    }
    return { dir, lock, segment, file, committed }
  } catch (err) {
    await lock.release()
    throw err
  }
}

async function lockConsumer(dir: string): Promise<FileLock> {
  const path = join(dir, consumerLockName)
  const result = await tryLock(path).catch((err: unknown) => {
    throw unavailable(`cannot take the consumer lock ${path}`, err)
  })
  if (result.lock) return result.lock
  const { pid, host, acquiredAt } = result.holder
  throw new VectorizeError(
    'queue_locked',
    `the local queue ${dir} is already being consumed by pid ${pid} on ${host} (since ${acquiredAt}); ` +
      `stop that worker or use another queue directory`,
    { details: { dir, pid, host } },
  )
}

/** Under the append lock, as publishers do: adopt a pre-segment log, create the first segment. */
async function prepareLog(dir: string, { lockTimeoutMs, logger }: OpenOptions): Promise<void> {
  const signal = new AbortController().signal
  const path = join(dir, appendLockName)
  const lock = await waitLock(path, { signal, timeoutMs: lockTimeoutMs }).catch((err: unknown) => {
    throw unavailable(`cannot take the append lock of ${dir}`, err)
  })
  const writer = new SegmentWriter({
    ...segmentSettings({}),
    dir,
    prefix: taskLogPrefix,
    recordTime,
    logger,
  })
  try {
    await adoptLegacyLog(dir, taskLogPrefix)
    await writer.active()
  } catch (err) {
    throw unavailable(`cannot open the local queue log in ${dir}`, err)
  } finally {
    await writer.close()
    await lock.release()
  }
}

/** The commit on disk; undefined when nothing was ever committed. */
export async function readCommit(dir: string): Promise<Cursor | undefined> {
  const path = join(dir, commitFileName)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined
    throw unavailable(`cannot read the commit file ${path}`, err)
  }
  const { offset, position, segment = 0 } = (safeParse(text) ?? {}) as Partial<Cursor>
  if (!isCount(offset) || !isCount(position) || !isCount(segment) || segment > offset) {
    // Written atomically, so damage means something else wrote it: refuse rather than guess.
    throw new VectorizeError(
      'queue_damaged',
      `the commit file ${path} is damaged: ${text.slice(0, 200)}`,
    )
  }
  return { offset, segment, position }
}

/** The segment and line to resume from. */
async function locate(dir: string, saved: Cursor | undefined) {
  const segments = await listSegments(dir, taskLogPrefix).catch((err: unknown) => {
    throw unavailable(`cannot list the local queue log in ${dir}`, err)
  })
  const first = segments[0]!
  if (saved === undefined) {
    return { segment: first, committed: { offset: first.base, segment: first.base, position: 0 } }
  }
  const named = segments.find((s) => s.base === saved.segment)
  if (named) return { segment: named, committed: saved }
  // Retention deleted the segment the commit names: it was wholly consumed, so the commit is at
  // the start of a later one.
  const next = segments.find((s) => s.base === saved.offset)
  if (next) return { segment: next, committed: { ...saved, segment: next.base, position: 0 } }
  throw new VectorizeError(
    'source_unavailable',
    `the commit file in ${dir} points at offset ${saved.offset} in segment ${saved.segment}, which ` +
      `is not in the task log (its segments start at ${segments.map((s) => s.base).join(', ')}); ` +
      `were segments deleted by hand? Remove ${commitFileName} to read from the oldest task kept`,
    { details: { dir, offset: saved.offset, segment: saved.segment } },
  )
}

/** The committed position must be the start of a line within its segment. */
async function checkCommit(file: FileHandle, committed: Cursor, segment: Segment, dir: string) {
  if (committed.position === 0) return
  const { size } = await file.stat()
  const before = Buffer.alloc(1)
  if (committed.position <= size) await file.read(before, 0, 1, committed.position - 1)
  if (committed.position > size || before[0] !== 0x0a) {
    throw new VectorizeError(
      'queue_damaged',
      `the commit file in ${dir} points at byte ${committed.position}, which is not the start of a ` +
        `line of ${segment.path} (${size} bytes); was the log replaced? Remove ${commitFileName} to ` +
        `read it again from the oldest task kept`,
      { details: { dir, position: committed.position, size } },
    )
  }
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
