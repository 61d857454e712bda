/**
 * StateWindow: tasks per state over a sliding window, in bounded memory, for the dashboard's
 * Overview in Kafka mode (kafka-state-counts.ts feeds it the status topic). Each task's records
 * are folded by the one rule (task-state.ts); a task counts while its last record is inside the
 * window. At most `maxTasks` tasks are kept: beyond that the task whose last record is oldest is
 * evicted, and `counts` says from when on the answer is complete. Tasks are kept in the order of
 * their last record (a Map re-inserted on every record), so expiry and eviction take from the front;
 * a record that arrives already out of the window (written long before, or a clock far behind) is
 * skipped.
 */
import type { StatusMessage, TaskState } from '../protocol/report.ts'
import { applyStatus, countStates, newTaskEntry, type TaskEntry } from './task-state.ts'

export interface WindowSettings {
  readonly windowMs: number
  readonly maxTasks: number
}

export interface WindowCounts {
  readonly states: Record<TaskState, number>
  /** Tasks counted. */
  readonly tasks: number
  /** Tasks evicted so far because `maxTasks` were kept. */
  readonly evicted: number
  /**
   * The last record of the oldest task counted (ms since the epoch): after the window's start once
   * evictions cut it short; absent with no task.
   */
  readonly oldest?: number
}

interface Slot {
  readonly entry: TaskEntry
  /** When its last record was written (ms). */
  lastMs: number
}

export class StateWindow {
  readonly #settings: WindowSettings
  readonly #tasks = new Map<string, Slot>()
  #evicted = 0

  constructor(settings: WindowSettings) {
    this.#settings = settings
  }

  /** Folds in one status record written at `writtenMs`; one already out of the window is skipped. */
  add(status: StatusMessage, writtenMs: number, now: number): void {
    if (writtenMs < now - this.#settings.windowMs) return
    const id = status.task_id
    const slot = this.#tasks.get(id) ?? { entry: newTaskEntry(), lastMs: writtenMs }
    this.#tasks.delete(id) // re-inserted last: the Map stays in order of last record
    applyStatus(slot.entry, status)
    slot.lastMs = Math.max(slot.lastMs, writtenMs)
    this.#tasks.set(id, slot)
    if (this.#tasks.size <= this.#settings.maxTasks) return
    const oldest = this.#tasks.keys().next()
    if (!oldest.done) this.#tasks.delete(oldest.value)
    this.#evicted++
  }

  /** Tasks per state among those with a record in the window ending `now`. */
  counts(now: number): WindowCounts {
    const start = now - this.#settings.windowMs
    for (const [id, slot] of this.#tasks) {
      if (slot.lastMs >= start) break
      this.#tasks.delete(id)
    }
    const first = this.#tasks.values().next()
    return {
      states: countStates(entries(this.#tasks.values())),
      tasks: this.#tasks.size,
      evicted: this.#evicted,
      ...(!first.done && { oldest: first.value.lastMs }),
    }
  }
}

function* entries(slots: Iterable<Slot>): Generator<TaskEntry> {
  for (const slot of slots) yield slot.entry
}
