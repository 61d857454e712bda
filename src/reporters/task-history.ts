/**
 * A task's status history: its status records in the order they were written, as `vectorize status
 * --history` and the dashboard's Tasks view show them. Both StatusViews collect the records the same
 * way (the embedded index reads the task's lines of `status.log`, the Kafka view keeps them from its
 * scan) and build the history here. A task can have thousands of `progress` records, so a history
 * is bounded: the first records (how it started) and the latest ones, with a count of those left
 * out between. Each record is folded again in order (task-state.ts), so a record stamped earlier
 * than the state before it — which the task's state ignored — is marked `stale`.
 */
import type { StatusMessage } from '../protocol/report.ts'
import type { HistoryEntry, TaskHistory } from './reporter.ts'
import { applyStatus, newTaskEntry } from './task-state.ts'

/** A status record as read, with the attempts a compacted record carries. */
export interface ReadStatus {
  readonly status: StatusMessage
  readonly attempts?: number
}

export const historyLimits = { head: 20, tail: 480 } as const

/** Keeps the first `head` and the last `tail` items added, and counts the ones between. */
export class Bounded<T> {
  readonly #head: T[] = []
  #tail: T[] = []
  #omitted = 0
  readonly #limits: { readonly head: number; readonly tail: number }

  constructor(limits: { readonly head: number; readonly tail: number } = historyLimits) {
    this.#limits = limits
  }

  add(item: T): void {
    if (this.#head.length < this.#limits.head) {
      this.#head.push(item)
      return
    }
    this.#tail.push(item)
    if (this.#tail.length > 2 * this.#limits.tail) {
      // drop in blocks rather than one shift per record: a task may have a million records
      this.#omitted += this.#tail.length - this.#limits.tail
      this.#tail = this.#tail.slice(-this.#limits.tail)
    }
  }

  /** Items added and kept, in the order they were added. */
  get items(): T[] {
    return [...this.#head, ...this.#tail.slice(-this.#limits.tail)]
  }

  /** Items added and left out. */
  get omitted(): number {
    return this.#omitted + Math.max(0, this.#tail.length - this.#limits.tail)
  }
}

/** The history of these records, given in the order they were written. */
export function taskHistory(kept: readonly ReadStatus[], omitted: number): TaskHistory {
  const entry = newTaskEntry()
  const records = kept.map(({ status, attempts }) => {
    const applied = applyStatus(entry, status, attempts)
    return historyEntry(status, attempts, applied)
  })
  return { records, compacted: kept.some((k) => k.attempts !== undefined), omitted }
}

function historyEntry(status: StatusMessage, attempts: number | undefined, applied: boolean) {
  const { state, at, worker_id, progress, error } = status
  const record: HistoryEntry = {
    state,
    at,
    worker_id,
    ...(progress && { progress }),
    ...(error && { error }),
    ...(attempts !== undefined && { compacted_attempts: attempts }),
    ...(!applied && { stale: true as const }),
  }
  return record
}
