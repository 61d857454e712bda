/**
 * Segmented logs of the embedded queue (`tasks`, `dlq`), laid out as Kafka lays out a partition: a
 * log is a run of files `<prefix>-<base offset, 20 digits>.log`. The newest is the active segment,
 * the only one appended to; rolling closes it and starts the next one, named by the offset that
 * follows its last record. Offsets are line indexes counted across segments, so they stay
 * monotonic across rolls, retention and restarts. Retention deletes whole closed segments, oldest
 * first (retention.ts). A log written before segments existed (`<prefix>.log`) becomes segment 0.
 */
import { readdir, rename, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { syncDir } from './durable.ts'
import { errorCode } from './lock.ts'

export interface Segment {
  /** Offset of its first record. */
  readonly base: number
  readonly path: string
}

/** How a log is split into segments. */
export interface SegmentSettings {
  /** The active segment is closed before an append would take it past this size. */
  readonly segmentBytes: number
  /** ... or once its first record is this old (ms); -1: never by age. */
  readonly segmentMs: number
}

/** The defaults of `queue.segment_bytes` and `queue.segment_ms`, for writers opened without them. */
export const defaultSegmentSettings: SegmentSettings = {
  segmentBytes: 64 * 1024 * 1024,
  segmentMs: 24 * 60 * 60 * 1000,
}

/** `settings` with the defaults filled in where a value is missing. */
export function segmentSettings(settings: Partial<SegmentSettings>): SegmentSettings {
  return {
    segmentBytes: settings.segmentBytes ?? defaultSegmentSettings.segmentBytes,
    segmentMs: settings.segmentMs ?? defaultSegmentSettings.segmentMs,
  }
}

const baseDigits = 20

export function segmentName(prefix: string, base: number): string {
  return `${prefix}-${String(base).padStart(baseDigits, '0')}.log`
}

export function segmentPath(dir: string, prefix: string, base: number): string {
  return join(dir, segmentName(prefix, base))
}

/** The segments of a log, oldest first; [] when it has none (or no directory). */
export async function listSegments(dir: string, prefix: string): Promise<Segment[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return []
    throw err
  }
  const pattern = new RegExp(`^${prefix}-(\\d{${baseDigits}})\\.log$`)
  const segments: Segment[] = []
  for (const name of names) {
    const match = pattern.exec(name)
    if (match) segments.push({ base: Number(match[1]), path: join(dir, name) })
  }
  return segments.sort((a, b) => a.base - b.base)
}

/**
 * Adopts `<prefix>.log` of a queue written before segments existed as segment 0, unless the log
 * already has segments. Call it under the log's lock: a rename racing a writer that creates
 * segment 0 would replace that writer's file.
 */
export async function adoptLegacyLog(dir: string, prefix: string): Promise<boolean> {
  const legacy = join(dir, `${prefix}.log`)
  if ((await listSegments(dir, prefix)).length > 0) return false
  try {
    await rename(legacy, segmentPath(dir, prefix, 0))
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return false
    throw err
  }
  await syncDir(dir)
  return true
}

export interface SegmentFacts extends Segment {
  readonly bytes: number
  /** Last modification: when its newest record was appended. */
  readonly modifiedMs: number
}

/** Sizes and ages of the segments; a segment deleted while we look is left out. */
export async function segmentFacts(dir: string, prefix: string): Promise<SegmentFacts[]> {
  const facts: SegmentFacts[] = []
  for (const segment of await listSegments(dir, prefix)) {
    try {
      const info = await stat(segment.path)
      facts.push({ ...segment, bytes: info.size, modifiedMs: info.mtimeMs })
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err
    }
  }
  return facts
}
