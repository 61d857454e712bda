/**
 * Sends status, result and dead-letter records through the Reporter, each retried like any other
 * infrastructure call. A task collects the promises of its reports; `settled()` resolves once all
 * are acknowledged, which is what allows its offset to be committed.
 */
import type { ResultMessage, StatusMessage, TaskState } from '../protocol/report.ts'
import type { DeadLetter, Reporter } from '../reporters/reporter.ts'
import type { VectorizeError } from './errors.ts'
import { withRetry, type RetryPolicy } from './retry.ts'

/**
 * Longest error message a status record carries, in characters: a reason that quotes a long input
 * must not make the record too big to send (issue 10).
 */
export const maxErrorMessageChars = 2048

function capped(message: string): string {
  return message.length <= maxErrorMessageChars
    ? message
    : `${message.slice(0, maxErrorMessageChars - 1)}…`
}

export interface TaskReports {
  status(state: TaskState, progress?: StatusMessage['progress'], error?: VectorizeError): void
  result(message: ResultMessage): void
  deadLetter(letter: DeadLetter): void
  settled(): Promise<void>
}

export class Reports {
  readonly #reporter: Reporter
  readonly #workerId: string
  readonly #retry: RetryPolicy

  constructor(reporter: Reporter, workerId: string, retry: RetryPolicy) {
    this.#reporter = reporter
    this.#workerId = workerId
    this.#retry = retry
  }

  forTask(taskId: string, signal: AbortSignal): TaskReports {
    const pending: Promise<void>[] = []
    const send = (fn: (opts: { signal: AbortSignal }) => Promise<void>) => {
      const p = withRetry(() => fn({ signal }), this.#retry, signal)
      p.catch(() => undefined) // observed through settled()
      pending.push(p)
    }
    return {
      status: (state, progress, error) =>
        send((opts) => this.#reporter.status(this.#status(taskId, state, progress, error), opts)),
      result: (message) => send((opts) => this.#reporter.result(message, opts)),
      deadLetter: (letter) => send((opts) => this.#reporter.deadLetter(letter, opts)),
      settled: async () => {
        await Promise.all(pending)
      },
    }
  }

  #status(
    taskId: string,
    state: TaskState,
    progress?: StatusMessage['progress'],
    error?: VectorizeError,
  ): StatusMessage {
    return {
      task_id: taskId,
      state,
      ...(progress && { progress }),
      ...(error && { error: { ...error.toJSON(), message: capped(error.message) } }),
      worker_id: this.#workerId,
      at: new Date().toISOString(),
    }
  }
}
