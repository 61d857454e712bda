/**
 * Opening a local queue directory for consuming: take the consumer lock, read `commit.json`, open
 * `tasks.log`, and check that the commit points at the start of one of its lines.
 */
import type { FileHandle } from 'node:fs/promises'
import { mkdir, open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { VectorizeError } from '../worker/errors.ts'
import type { FileLock } from '../files/lock.ts'
import { errorCode, tryLock } from '../files/lock.ts'
import { logFileName, unavailable } from './local-publisher.ts'

export const consumerLockName = 'consumer.lock'
export const commitFileName = 'commit.json'

export interface Cursor {
  /** Line index. */
  readonly offset: number
  /** Byte position of the start of that line. */
  readonly position: number
}

export interface OpenedQueue {
  readonly dir: string
  readonly lock: FileLock
  /** `tasks.log`, read-only. */
  readonly file: FileHandle
  readonly committed: Cursor
}

/** Everything acquired here is released again if a later step fails. */
export async function openQueue(dir: string): Promise<OpenedQueue> {
  try {
    await mkdir(dir, { recursive: true })
  } catch (err) {
    throw unavailable(`cannot create the local queue directory ${dir}`, err)
  }
  const lock = await lockConsumer(dir)
  try {
    const committed = await readCommit(dir)
    const file = await openLog(dir)
    try {
      await checkCommit(file, committed, dir)
    } catch (err) {
      await file.close()
      throw err
    }
    return { dir, lock, file, committed }
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

async function readCommit(dir: string): Promise<Cursor> {
  const path = join(dir, commitFileName)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return { offset: 0, position: 0 }
    throw unavailable(`cannot read the commit file ${path}`, err)
  }
  const { offset, position } = (safeParse(text) ?? {}) as Partial<Cursor>
  if (!isCount(offset) || !isCount(position)) {
    // Written atomically, so damage means something else wrote it: refuse rather than guess.
    throw new VectorizeError(
      'queue_damaged',
      `the commit file ${path} is damaged: ${text.slice(0, 200)}`,
    )
  }
  return { offset, position }
}

async function openLog(dir: string): Promise<FileHandle> {
  const path = join(dir, logFileName)
  try {
    await (await open(path, 'a')).close()
    return await open(path, 'r')
  } catch (err) {
    throw unavailable(`cannot open the local queue log ${path}`, err)
  }
}

/** The committed position must be the start of a line within the log. */
async function checkCommit(file: FileHandle, committed: Cursor, dir: string): Promise<void> {
  if (committed.position === 0) return
  const { size } = await file.stat()
  const before = Buffer.alloc(1)
  if (committed.position <= size) await file.read(before, 0, 1, committed.position - 1)
  if (committed.position > size || before[0] !== 0x0a) {
    throw new VectorizeError(
      'queue_damaged',
      `the commit file in ${dir} points at byte ${committed.position}, which is not the start of a ` +
        `line of ${logFileName} (${size} bytes); was the log replaced? Remove ${commitFileName} to ` +
        `read it again from the start`,
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
