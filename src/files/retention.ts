/**
 * Retention of a segmented log (segments.ts), as Kafka applies `retention.ms` and
 * `retention.bytes`: whole closed segments are deleted, oldest first, once every record in them is
 * consumed, and while they are older than the age limit or the log stays at least the size limit
 * without them. The active segment is never deleted, nor any segment after the first one still
 * holding an unconsumed record, so the log stays one contiguous run of offsets.
 */
import { unlink } from 'node:fs/promises'
import { syncDir } from './durable.ts'
import { errorCode } from './lock.ts'
import type { SegmentFacts } from './segments.ts'

export interface RetentionSettings {
  /** Closed, consumed segments whose newest record is older than this (ms) go; -1: no limit. */
  readonly retentionMs: number
  /** Closed, consumed segments go, oldest first, while the log is larger than this; -1: no limit. */
  readonly retentionBytes: number
}

/**
 * The segments retention deletes now. `segments` is the whole log, oldest first (the last one is
 * the active segment); `consumedBefore` is the first offset not yet consumed (committed).
 */
export function expiredSegments(
  segments: readonly SegmentFacts[],
  consumedBefore: number,
  { retentionMs, retentionBytes }: RetentionSettings,
  now: number,
): SegmentFacts[] {
  let total = segments.reduce((sum, s) => sum + s.bytes, 0)
  const expired: SegmentFacts[] = []
  for (let i = 0; i + 1 < segments.length; i++) {
    const segment = segments[i]!
    const end = segments[i + 1]!.base
    if (end > consumedBefore) break
    const old = retentionMs >= 0 && now - segment.modifiedMs > retentionMs
    const over = retentionBytes >= 0 && total - segment.bytes >= retentionBytes
    if (!old && !over) break
    expired.push(segment)
    total -= segment.bytes
  }
  return expired
}

/** Deletes `segments` oldest first (a crash part way leaves a contiguous log), then syncs `dir`. */
export async function deleteSegments(dir: string, segments: readonly SegmentFacts[]) {
  for (const segment of segments) {
    await unlink(segment.path).catch((err: unknown) => {
      if (errorCode(err) !== 'ENOENT') throw err // another process applied retention first
    })
  }
  if (segments.length > 0) await syncDir(dir)
}
