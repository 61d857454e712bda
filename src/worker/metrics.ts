/**
 * What the worker tells observers. observability/ implements it with Prometheus; `RunStats`
 * below counts for the CLI's summary. The core never imports prom-client.
 */
import type { TaskType } from '../protocol/task.ts'
import type { ErrorCode } from './errors.ts'

export interface TaskTimings {
  readonly queue: number
  readonly inference: number
  readonly store: number
  readonly total: number
}

export interface TaskFinished {
  readonly type: TaskType | 'unknown'
  readonly outcome: 'succeeded' | 'failed'
  readonly code?: ErrorCode
  readonly timings: TaskTimings
  readonly items: number
  readonly tokens: number
}

export interface WorkerMetrics {
  taskStarted(type: TaskType | 'unknown'): void
  taskFinished(event: TaskFinished): void
  retried(code: ErrorCode): void
  deadLettered(code: ErrorCode): void
}

export class RunStats implements WorkerMetrics {
  started = 0
  succeeded = 0
  failed = 0
  retries = 0
  deadLetters = 0
  items = 0
  tokens = 0
  /** Tasks a forced stop (second signal, grace run out) left unfinished: not committed, they come back. */
  unfinished = 0
  readonly failures = new Map<ErrorCode, number>()
  readonly #since = performance.now()

  taskStarted(): void {
    this.started++
  }

  taskFinished(event: TaskFinished): void {
    if (event.outcome === 'succeeded') {
      this.succeeded++
      this.items += event.items
      this.tokens += event.tokens
    } else {
      this.failed++
      if (event.code) this.failures.set(event.code, (this.failures.get(event.code) ?? 0) + 1)
    }
  }

  retried(): void {
    this.retries++
  }

  deadLettered(): void {
    this.deadLetters++
  }

  elapsedMs(): number {
    return performance.now() - this.#since
  }
}

/** Fans events out to several observers. */
export function combineMetrics(...all: WorkerMetrics[]): WorkerMetrics {
  return {
    taskStarted: (t) => all.forEach((m) => m.taskStarted(t)),
    taskFinished: (e) => all.forEach((m) => m.taskFinished(e)),
    retried: (c) => all.forEach((m) => m.retried(c)),
    deadLettered: (c) => all.forEach((m) => m.deadLettered(c)),
  }
}
