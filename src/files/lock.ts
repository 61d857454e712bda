/**
 * Inter-process lock files: the local queue's long-held consumer lock (one worker per queue
 * directory), its short-held append lock (publishers take turns, so `vectorize submit` can run
 * while a worker runs), and LanceDB's per-table write lock (workers on one machine take turns).
 *
 * Why not proper-lockfile: it decides staleness by mtime alone, so a restart after kill -9 waits
 * for the stale period (10 s by default), its error cannot name the pid that holds the lock, and a
 * missed mtime refresh (a blocked event loop) makes it call `onCompromised`, which throws from a
 * timer by default. Here the lock file records its owner, and a lock whose owner process is gone is
 * broken at once: the pid is checked with `kill(pid, 0)` and, on Linux, /proc: a zombie (killed but
 * not yet reaped) is dead, and a start time that differs means a reused pid (pid 1 in a restarted
 * container). For an owner on
 * another host or in another pid namespace (a volume shared between hosts or containers) its pid
 * means nothing here, so the owner refreshes the mtime and the lock is stale once that stops.
 *
 * The lock file appears atomically with its content: it is written under a unique name and
 * hard-linked into place (link fails with EEXIST if the lock is held), so a reader never sees an
 * empty lock. A stale lock is renamed away and its inode compared before it is deleted, so two
 * processes breaking the same stale lock cannot delete each other's fresh lock.
 */
import { randomBytes } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import {
  link,
  open,
  readFile,
  readlink,
  rename,
  stat,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises'
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'

export interface LockOwner {
  readonly pid: number
  readonly host: string
  /** The pid namespace (Linux), so a pid is only checked where it means the same process. */
  readonly pidNamespace?: string
  /** Clock ticks since boot when the owner process started (Linux /proc), to detect pid reuse. */
  readonly startTicks?: number
  readonly acquiredAt: string
  readonly nonce: string
}

export interface FileLock {
  readonly path: string
  release(): Promise<void>
}

export type TryLockResult =
  | { readonly lock: FileLock; readonly holder?: undefined }
  | { readonly lock?: undefined; readonly holder: LockOwner }

/**
 * A lock whose owner we cannot check (another host or pid namespace) is stale once its mtime is
 * older than this; owners refresh it four times as often.
 */
const uncheckedStaleMs = 60_000
const refreshMs = uncheckedStaleMs / 4

/** Takes the lock at `path` if it is free or stale; otherwise reports who holds it. */
export async function tryLock(path: string): Promise<TryLockResult> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const me = await ownerRecord()
    if (await linkInPlace(path, me)) return { lock: heldLock(path, me) }
    const current = await readLock(path)
    if (current === undefined) continue // released between our link and our read
    const { owner } = current
    if (owner && (await isAlive(owner, current.mtimeMs))) return { holder: owner }
    await breakStale(path, current.ino)
  }
  throw new Error(`could not take the lock ${path}: it keeps changing hands`)
}

export interface WaitOptions {
  readonly signal: AbortSignal
  readonly timeoutMs: number
}

/** Waits (polling with backoff) until the lock at `path` is free, then takes it. */
export async function waitLock(
  path: string,
  { signal, timeoutMs }: WaitOptions,
): Promise<FileLock> {
  const deadline = Date.now() + timeoutMs
  let delayMs = 1
  for (;;) {
    signal.throwIfAborted()
    const result = await tryLock(path)
    if (result.lock) return result.lock
    if (Date.now() >= deadline) {
      const { pid, host } = result.holder
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${path}, held by pid ${pid} on ${host}`,
      )
    }
    await sleep(delayMs, undefined, { signal })
    // A short cap: the holder may re-take the lock at once, and a long sleep would starve us.
    delayMs = Math.min(delayMs * 2, 8)
  }
}

async function ownerRecord(): Promise<LockOwner> {
  const startTicks = (await procStat(process.pid))?.startTicks
  const pidNamespace = await ownPidNamespace()
  return {
    pid: process.pid,
    host: hostname(),
    ...(pidNamespace === undefined ? {} : { pidNamespace }),
    ...(startTicks === undefined ? {} : { startTicks }),
    acquiredAt: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  }
}

async function linkInPlace(path: string, me: LockOwner): Promise<boolean> {
  const temp = `${path}.${me.pid}.${me.nonce}`
  await writeFile(temp, JSON.stringify(me), { flag: 'wx' })
  try {
    await link(temp, path)
    return true
  } catch (err) {
    if (errorCode(err) === 'EEXIST') return false
    throw err
  } finally {
    await unlink(temp).catch(() => undefined)
  }
}

interface CurrentLock {
  readonly owner: LockOwner | undefined
  readonly ino: number
  readonly mtimeMs: number
}

async function readLock(path: string): Promise<CurrentLock | undefined> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined
    throw err
  }
  try {
    // One descriptor for both, so the inode and the owner belong to the same lock file.
    const info = await handle.stat()
    const owner = parseOwner(await handle.readFile('utf8'))
    return { owner, ino: info.ino, mtimeMs: info.mtimeMs }
  } finally {
    await handle.close()
  }
}

/** Undefined for a lock file we cannot parse: damaged (a power loss), or not ours to begin with. */
function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>
    if (typeof value.pid === 'number' && typeof value.host === 'string') {
      return { acquiredAt: '?', nonce: '', ...value, pid: value.pid, host: value.host }
    }
  } catch {
    // fall through
  }
  return undefined
}

async function isAlive(owner: LockOwner, mtimeMs: number): Promise<boolean> {
  if (owner.host !== hostname() || owner.pidNamespace !== (await ownPidNamespace())) {
    return Date.now() - mtimeMs < uncheckedStaleMs
  }
  if (owner.pid <= 0) return false
  try {
    process.kill(owner.pid, 0)
  } catch (err) {
    // EPERM: the process exists but belongs to another user
    if (errorCode(err) !== 'EPERM') return false
  }
  const proc = await procStat(owner.pid)
  if (proc === undefined) return true
  if (proc.state === 'Z' || proc.state === 'X') return false
  return owner.startTicks === undefined || proc.startTicks === owner.startTicks
}

async function breakStale(path: string, ino: number): Promise<void> {
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`
  try {
    await rename(path, aside)
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return // someone else broke it first
    throw err
  }
  if ((await stat(aside)).ino !== ino) {
    // We moved a fresh lock taken since we looked: put it back (fails only if yet another process
    // took the lock in between, which then holds it).
    await link(aside, path).catch(() => undefined)
  }
  await unlink(aside)
}

function heldLock(path: string, me: LockOwner): FileLock {
  // The refresh only matters to processes on other hosts; unref'd so it never keeps Node alive.
  const timer = setInterval(() => {
    const now = new Date()
    utimes(path, now, now).catch(() => undefined)
  }, refreshMs)
  timer.unref()
  let released: Promise<void> | undefined
  return {
    path,
    release() {
      released ??= (async () => {
        clearInterval(timer)
        const current = await readLock(path)
        // Only delete our own lock: it may have been broken as stale and taken by someone else.
        if (current?.owner?.nonce === me.nonce) await unlink(path).catch(() => undefined)
      })()
      return released
    },
  }
}

/** Like "pid:[4026531836]"; undefined where /proc is not available. */
async function ownPidNamespace(): Promise<string | undefined> {
  return readlink('/proc/self/ns/pid').catch(() => undefined)
}

interface ProcStat {
  /** Field 3: R, S, D... Z for a zombie (killed, not yet reaped by its parent), X for dead. */
  readonly state: string
  /** Field 22: clock ticks since boot when the process started. */
  readonly startTicks: number
}

/** The parts of /proc/<pid>/stat we use; undefined where /proc is not available. */
async function procStat(pid: number): Promise<ProcStat | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may contain spaces and parentheses; fields resume after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    const startTicks = Number(fields[19])
    return Number.isFinite(startTicks) ? { state: fields[0] ?? '', startTicks } : undefined
  } catch {
    return undefined
  }
}

export function errorCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined
}
