/**
 * A task's status history from `status.log` (task-history.ts): its status lines between the first
 * line of the task and the end of what the index folded, in file order — the order they were
 * written. The index keeps no list of a task's lines (that would cost memory per record), so a
 * lookup reads the file from the task's first line on: one sequential read, bounded by
 * `queue.status_compact_bytes`, for one task asked for. Compaction keeps only a task's latest
 * record (with its attempts), so after it the history starts with that record, marked compacted.
 */
import type { FileHandle } from 'node:fs/promises'
import { readLines } from '../files/lines.ts'
import type { TaskHistory } from './reporter.ts'
import { parseJson } from './local-fold.ts'
import { Bounded, taskHistory, type ReadStatus } from './task-history.ts'
import { isKnownStatus } from './task-state.ts'

export async function readHistory(
  file: FileHandle,
  taskId: string,
  range: { readonly from: number; readonly to: number },
): Promise<TaskHistory> {
  const id = Buffer.from(JSON.stringify(taskId))
  const kept = new Bounded<ReadStatus>()
  for await (const line of readLines(file, range.from, 1 << 20)) {
    if (line.start >= range.to) break
    if (line.bytes.indexOf(id) < 0) continue // not this task's: no need to parse it
    const read = statusOf(line.bytes, taskId)
    if (read) kept.add(read)
  }
  return taskHistory(kept.items, kept.omitted)
}

function statusOf(bytes: Buffer, taskId: string): ReadStatus | undefined {
  type Stored = { task_id?: unknown; status?: unknown; attempts?: unknown }
  const record = parseJson(bytes.toString('utf8')) as Stored | undefined
  if (record?.task_id !== taskId) return undefined
  const status = record.status as { state?: unknown } | undefined
  if (!isKnownStatus(status)) return undefined
  const attempts = Number.isSafeInteger(record.attempts) ? (record.attempts as number) : undefined
  return { status, ...(attempts !== undefined && { attempts }) }
}
