/**
 * StatusFold: the records of `status.log` folded into the latest state of each task, line by line.
 * The status index (local-index.ts) reads through it for `vectorize status`; compaction
 * (local-compact.ts) writes each task's fold back as one status record plus its last result.
 *
 * A compacted status record carries the task's `attempts` (how many `started` records it replaced),
 * so that `vectorize status` answers the same after compaction:
 *
 *   {"task_id":"t1","status":{<StatusMessage>},"attempts":3}
 */
import type { StatusMessage, TaskState } from '../protocol/report.ts'
import {
  applyStatus,
  countStates,
  isKnownStatus,
  newTaskEntry,
  type TaskEntry,
} from './task-state.ts'

export interface Entry extends TaskEntry {
  /** Where the task's last result line is in the folded file. */
  result?: { readonly start: number; readonly length: number }
  /** Where the last line that changed this entry starts: orders tasks by their last activity. */
  seq: number
  /** Where the task's first line starts: its history is read from there (local-history.ts). */
  readonly first: number
}

/** Result lines start with their task id, so the fold need not parse the (large) rest. */
const resultHead = /^\{"task_id":("(?:[^"\\]|\\.)*"),"result":/

export class StatusFold {
  readonly #tasks = new Map<string, Entry>()
  #damaged = 0
  #records = 0

  /** Lines skipped because they were not valid records (torn by a crash). */
  get damaged(): number {
    return this.#damaged
  }

  /** Lines folded. */
  get records(): number {
    return this.#records
  }

  get size(): number {
    return this.#tasks.size
  }

  entries(): IterableIterator<[string, Readonly<Entry>]> {
    return this.#tasks.entries()
  }

  /** Folds in one line (without its newline) that starts at byte `start` of the file. */
  apply(bytes: Buffer, start: number): void {
    if (bytes.length === 0) return // a line break older versions wrote after a torn record
    this.#records++
    if (!this.#applyLine(bytes, start)) this.#damaged++
  }

  /** The task's folded entry; undefined while no line of it was folded. */
  get(taskId: string): Readonly<Entry> | undefined {
    return this.#tasks.get(taskId)
  }

  counts(): Record<TaskState, number> {
    return countStates(this.#tasks.values())
  }

  #applyLine(bytes: Buffer, start: number): boolean {
    const head = resultHead.exec(bytes.toString('utf8', 0, Math.min(bytes.length, 256)))
    const headId = head?.[1] === undefined ? undefined : parseJson(head[1])
    if (typeof headId === 'string' && bytes[bytes.length - 1] === 0x7d) {
      this.#setResult(this.#entry(headId, start), start, bytes.length)
      return true
    }
    type Stored = {
      task_id?: unknown
      status?: StatusMessage
      result?: unknown
      attempts?: unknown
    }
    const record = parseJson(bytes.toString('utf8')) as Stored | undefined
    if (typeof record?.task_id !== 'string') return false
    if (record.result !== undefined) {
      this.#setResult(this.#entry(record.task_id, start), start, bytes.length)
      return true
    }
    const status = record.status
    if (!isKnownStatus(status)) return false
    const entry = this.#entry(record.task_id, start)
    applyStatus(
      entry,
      status,
      Number.isSafeInteger(record.attempts) ? (record.attempts as number) : undefined,
    )
    return true
  }

  #setResult(entry: Entry, start: number, length: number): void {
    entry.result = { start, length }
  }

  #entry(taskId: string, seq: number): Entry {
    let entry = this.#tasks.get(taskId)
    if (!entry) {
      entry = { ...newTaskEntry(), seq, first: seq }
      this.#tasks.set(taskId, entry)
    }
    entry.seq = seq
    return entry
  }
}

/** The status record compaction writes for a folded task (undefined: it has no state yet). */
export function compactedStatus(taskId: string, entry: Readonly<Entry>): string | undefined {
  if (entry.state === undefined) return undefined
  const status: StatusMessage = {
    task_id: taskId,
    state: entry.state,
    worker_id: entry.workerId,
    at: entry.updatedAt,
    ...(entry.progress && { progress: entry.progress }),
    ...(entry.error && { error: entry.error }),
  }
  return `${JSON.stringify({ task_id: taskId, status, attempts: entry.attempts })}\n`
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}
