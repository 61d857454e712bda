/**
 * A task's latest state folded from its status records, the one rule every StatusView follows
 * (the embedded queue's index, local-fold.ts, and the Kafka status topic, kafka-status.ts):
 * `started` records count the attempts, and a record stamped earlier than the state it would
 * replace does not replace it — log order is the order of writes, and `at` guards against a late
 * writer (`vectorize submit` appending "queued" after a worker already started the task). Ties go to
 * the later record.
 */
import type { ResultMessage, StatusMessage, TaskState } from '../protocol/report.ts'
import { taskStates } from '../protocol/report.ts'
import type { TaskHistory, TaskRecord } from './reporter.ts'

export interface TaskEntry {
  state?: TaskState
  /** `at` of the record that set the state, in ms: a record stamped earlier does not override it. */
  stateMs: number
  updatedAt: string
  workerId: string
  attempts: number
  progress?: StatusMessage['progress']
  error?: StatusMessage['error']
}

const knownStates: ReadonlySet<unknown> = new Set(taskStates)

/** True for a status record of a state this version knows. */
export function isKnownStatus(status: { state?: unknown } | undefined): status is StatusMessage {
  return status !== undefined && knownStates.has(status.state)
}

export function newTaskEntry(): TaskEntry {
  return { stateMs: -Infinity, updatedAt: '', workerId: '', attempts: 0 }
}

/**
 * Folds one status record in. `attempts`, when given (a compacted record carries the count of the
 * `started` records it replaced), sets the count instead of a `started` adding one. False when the
 * record was stamped earlier than the state it would replace, which it then leaves alone.
 */
export function applyStatus(entry: TaskEntry, status: StatusMessage, attempts?: number): boolean {
  if (attempts !== undefined) entry.attempts = attempts
  else if (status.state === 'started') entry.attempts++
  const ms = Date.parse(status.at)
  if (ms < entry.stateMs) return false
  entry.stateMs = Number.isNaN(ms) ? entry.stateMs : ms
  entry.state = status.state
  entry.updatedAt = status.at
  entry.workerId = status.worker_id
  entry.error = status.error
  if (status.progress) entry.progress = status.progress
  return true
}

/** What `vectorize status TASK_ID` shows; undefined while no status of the task was folded. */
export function taskRecord(
  taskId: string,
  entry: Readonly<TaskEntry>,
  result?: ResultMessage,
  history?: TaskHistory,
): TaskRecord | undefined {
  if (entry.state === undefined) return undefined
  return {
    task_id: taskId,
    state: entry.state,
    updated_at: entry.updatedAt,
    worker_id: entry.workerId,
    attempts: entry.attempts,
    ...(entry.progress && { progress: entry.progress }),
    ...(entry.error && { error: entry.error }),
    ...(result && { result }),
    ...(history && { history }),
  }
}

/** Tasks per state, from folded entries. */
export function countStates(entries: Iterable<Readonly<TaskEntry>>): Record<TaskState, number> {
  const counts = Object.fromEntries(taskStates.map((s) => [s, 0])) as Record<TaskState, number>
  for (const { state } of entries) if (state !== undefined) counts[state]++
  return counts
}
