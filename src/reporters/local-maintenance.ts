/**
 * Upkeep of the local reports: roll the dead-letter log when due and apply its retention (its own
 * settings: dead letters are what operators replay from, so they are not deleted with the tasks),
 * and compact `status.log` (local-compact.ts) once it has grown past `queue.status_compact_bytes`
 * and to twice its size after the last compaction, as Kafka's cleaner waits for a dirty ratio. Run
 * by the worker's reporter every `queue.maintenance_interval_ms` and by `vectorize queue compact`;
 * stats for `vectorize queue stats`.
 */
import { open, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../observability/logger.ts'
import type { TaskState } from '../protocol/report.ts'
import { countLines, readLines } from '../files/lines.ts'
import { errorCode, waitLock } from '../files/lock.ts'
import { Periodic } from '../files/periodic.ts'
import { deleteSegments, expiredSegments } from '../files/retention.ts'
import type { SegmentSettings } from '../files/segments.ts'
import { adoptLegacyLog, listSegments, segmentFacts } from '../files/segments.ts'
import { SegmentWriter } from '../files/segment-writer.ts'
import type { Compacted, StatusRetention } from './local-compact.ts'
import { compactStatus, statusFileName } from './local-compact.ts'
import { deadLetterLockName, deadLetterPrefix, deadLetterTime } from './local-dlq.ts'
import { StatusFold } from './local-fold.ts'

export interface ReportSettings extends SegmentSettings, StatusRetention {
  /** Dead-letter segments older than this (ms) are deleted; -1: no limit. */
  readonly dlqRetentionMs: number
  /** Dead-letter segments are deleted, oldest first, while the log is larger; -1: no limit. */
  readonly dlqRetentionBytes: number
  /** `status.log` is compacted once it is this large (and twice its last compacted size). */
  readonly statusCompactBytes: number
  readonly lockTimeoutMs: number
}

export interface ReportUpkeep {
  readonly deadLetters: {
    readonly rolled: boolean
    readonly deletedSegments: number
    readonly deletedBytes: number
  }
  /** Undefined when compaction was not due (or there is no status log). */
  readonly status: Compacted | undefined
}

export interface UpkeepOptions {
  readonly force: boolean
  readonly now: number
  readonly logger: Logger
  /** Size of `status.log` after the last compaction by this process. */
  readonly compactedBytes?: number
}

export async function maintainReports(
  dir: string,
  settings: ReportSettings,
  options: UpkeepOptions,
): Promise<ReportUpkeep> {
  const deadLetters = await maintainDeadLetters(dir, settings, options)
  const size = await fileSize(join(dir, statusFileName))
  const due =
    options.force ||
    size >= Math.max(settings.statusCompactBytes, 2 * (options.compactedBytes ?? 0))
  const status = due ? await compactStatus(dir, { ...settings, now: options.now }) : undefined
  if (status) options.logger.info(status, 'compacted the status log')
  return { deadLetters, status }
}

/**
 * Upkeep every `intervalMs` (the worker's reporter), remembering the size of the last compaction
 * for the next one; a failed pass is logged and tried again.
 */
export function reportUpkeep(
  dir: string,
  { intervalMs, ...settings }: ReportSettings & { readonly intervalMs: number },
  logger: Logger,
): Periodic {
  let compactedBytes: number | undefined
  const job = async () => {
    const done = await maintainReports(dir, settings, {
      force: false,
      now: Date.now(),
      logger,
      ...(compactedBytes !== undefined && { compactedBytes }),
    })
    if (done.status) compactedBytes = done.status.bytesAfter
  }
  return new Periodic(job, intervalMs, (err) =>
    logger.warn({ err }, 'upkeep of the local reports failed; trying again later'),
  )
}

async function maintainDeadLetters(dir: string, settings: ReportSettings, options: UpkeepOptions) {
  const { force, now, logger } = options
  const never = new AbortController().signal
  const lock = await waitLock(join(dir, deadLetterLockName), {
    signal: never,
    timeoutMs: settings.lockTimeoutMs,
  })
  const writer = new SegmentWriter({
    ...settings,
    dir,
    prefix: deadLetterPrefix,
    recordTime: deadLetterTime,
    logger,
  })
  let rolled = false
  try {
    await adoptLegacyLog(dir, deadLetterPrefix)
    if ((await listSegments(dir, deadLetterPrefix)).length > 0) {
      rolled = force ? await writer.roll() : await writer.rollIfDue(now)
    }
  } finally {
    await writer.close()
    await lock.release()
  }
  const retention = {
    retentionMs: settings.dlqRetentionMs,
    retentionBytes: settings.dlqRetentionBytes,
  }
  // No consumer commits dead letters: every closed segment is eligible.
  const facts = await segmentFacts(dir, deadLetterPrefix)
  const expired = expiredSegments(facts, Infinity, retention, now)
  await deleteSegments(dir, expired)
  const deletedBytes = expired.reduce((sum, s) => sum + s.bytes, 0)
  if (expired.length > 0) {
    logger.info(
      { segments: expired.length, bytes: deletedBytes },
      'deleted dead-letter segments (retention)',
    )
  }
  return { rolled, deletedSegments: expired.length, deletedBytes }
}

export interface ReportStats {
  readonly status: {
    readonly bytes: number
    /** Records in the file (one per line). */
    readonly records: number
    /** Tasks it knows: what `vectorize status` answers for. */
    readonly tasks: number
    readonly damaged: number
    readonly states: Record<TaskState, number>
  }
  readonly dead_letters: {
    readonly segments: number
    readonly bytes: number
    readonly count: number
    readonly oldest_offset: number | null
    readonly newest_offset: number | null
  }
}

/** What the reports hold now; reads only, takes no lock. */
export async function reportStats(dir: string): Promise<ReportStats> {
  return { status: await statusStats(dir), dead_letters: await deadLetterStats(dir) }
}

async function statusStats(dir: string): Promise<ReportStats['status']> {
  const fold = new StatusFold()
  let bytes = 0
  const file = await open(join(dir, statusFileName), 'r').catch((err: unknown) => {
    if (errorCode(err) === 'ENOENT') return undefined
    throw err
  })
  if (file) {
    try {
      bytes = (await file.stat()).size
      for await (const line of readLines(file, 0)) fold.apply(line.bytes, line.start)
    } finally {
      await file.close()
    }
  }
  const { records, size: tasks, damaged } = fold
  return { bytes, records, tasks, damaged, states: fold.counts() }
}

async function deadLetterStats(dir: string): Promise<ReportStats['dead_letters']> {
  const facts = await segmentFacts(dir, deadLetterPrefix)
  const first = facts[0]?.base ?? 0
  const active = facts.at(-1)
  let next = first
  if (active) {
    const file = await open(active.path, 'r')
    try {
      next = active.base + (await countLines(file, 0, (await file.stat()).size)).lines
    } finally {
      await file.close()
    }
  }
  const empty = next <= first
  return {
    segments: facts.length,
    bytes: facts.reduce((sum, s) => sum + s.bytes, 0),
    count: next - first,
    oldest_offset: empty ? null : first,
    newest_offset: empty ? null : next - 1,
  }
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return 0
    throw err
  }
}
