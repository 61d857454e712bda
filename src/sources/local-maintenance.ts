/**
 * Upkeep of the local task log: roll the active segment when it is due (an idle log ages too), and
 * delete closed segments whose tasks are all committed once they are past the retention limits
 * (files/retention.ts). Run by the worker's source every `queue.maintenance_interval_ms` and by
 * `vectorize queue compact`; stats for `vectorize queue stats`. Any process may run it while a
 * worker and publishers run: rolls take the append lock, and retention reads the durable commit,
 * so it never deletes a task that is not done.
 */
import { join } from 'node:path'
import type { Logger } from '../observability/logger.ts'
import { waitLock } from '../files/lock.ts'
import { Periodic } from '../files/periodic.ts'
import type { RetentionSettings } from '../files/retention.ts'
import { deleteSegments, expiredSegments } from '../files/retention.ts'
import type { SegmentSettings } from '../files/segments.ts'
import { adoptLegacyLog, listSegments, segmentFacts } from '../files/segments.ts'
import { SegmentWriter } from '../files/segment-writer.ts'
import { LogEnd } from './local-end.ts'
import { recordTime, taskLogPrefix } from './local-log.ts'
import { appendLockName } from './local-publisher.ts'
import { readCommit } from './local-queue.ts'

export interface TaskLogSettings extends SegmentSettings, RetentionSettings {
  readonly lockTimeoutMs: number
}

export interface TaskLogUpkeep {
  /** The active segment was closed and a new one started. */
  readonly rolled: boolean
  readonly deletedSegments: number
  readonly deletedBytes: number
}

/**
 * Rolls the active segment when due (`force`: whenever it holds a task), then applies retention.
 */
export async function maintainTaskLog(
  dir: string,
  settings: TaskLogSettings,
  { force, now, logger }: { force: boolean; now: number; logger: Logger },
): Promise<TaskLogUpkeep> {
  const rolled = await roll(dir, settings, { force, now, logger })
  const committed = (await readCommit(dir))?.offset ?? 0
  const expired = expiredSegments(await segmentFacts(dir, taskLogPrefix), committed, settings, now)
  await deleteSegments(dir, expired)
  const deletedBytes = expired.reduce((sum, s) => sum + s.bytes, 0)
  if (expired.length > 0) {
    logger.info(
      { segments: expired.length, bytes: deletedBytes, before: committed },
      'deleted consumed task log segments (retention)',
    )
  }
  return { rolled, deletedSegments: expired.length, deletedBytes }
}

/** Upkeep every `intervalMs` (the worker's source); a failed pass is logged and tried again. */
export function taskLogUpkeep(
  dir: string,
  { intervalMs, ...settings }: TaskLogSettings & { readonly intervalMs: number },
  logger: Logger,
): Periodic {
  const job = async () => {
    await maintainTaskLog(dir, settings, { force: false, now: Date.now(), logger })
  }
  return new Periodic(job, intervalMs, (err) =>
    logger.warn({ err }, 'upkeep of the task log failed; trying again later'),
  )
}

async function roll(
  dir: string,
  settings: TaskLogSettings,
  { force, now, logger }: { force: boolean; now: number; logger: Logger },
): Promise<boolean> {
  const signal = new AbortController().signal
  const lock = await waitLock(join(dir, appendLockName), {
    signal,
    timeoutMs: settings.lockTimeoutMs,
  })
  const writer = new SegmentWriter({ ...settings, dir, prefix: taskLogPrefix, recordTime, logger })
  try {
    await adoptLegacyLog(dir, taskLogPrefix)
    if ((await listSegments(dir, taskLogPrefix)).length === 0) return false
    return force ? await writer.roll() : await writer.rollIfDue(now)
  } finally {
    await writer.close()
    await lock.release()
  }
}

export interface TaskLogStats {
  readonly segments: number
  readonly bytes: number
  /** Offset of the oldest task kept; null when the log is empty. */
  readonly oldest_offset: number | null
  /** Offset of the newest task; null when the log is empty. */
  readonly newest_offset: number | null
  /** The offset the next task will get. */
  readonly next_offset: number
  /** The first offset not yet done (committed). */
  readonly committed_offset: number
  /** Tasks after the commit: not yet done. */
  readonly lag: number
}

/**
 * What the task log holds now; reads only, takes no lock. A caller that asks again and again (the
 * dashboard, every refresh) passes the same `end`, which then reads only what was appended since.
 */
export async function taskLogStats(dir: string, end = new LogEnd(dir)): Promise<TaskLogStats> {
  const facts = await segmentFacts(dir, taskLogPrefix)
  const first = facts[0]?.base ?? 0
  const next = (await end.next()) ?? first
  const committed = (await readCommit(dir))?.offset ?? first
  const empty = next <= first
  return {
    segments: facts.length,
    bytes: facts.reduce((sum, s) => sum + s.bytes, 0),
    oldest_offset: empty ? null : first,
    newest_offset: empty ? null : next - 1,
    next_offset: next,
    committed_offset: committed,
    lag: Math.max(0, next - committed),
  }
}
