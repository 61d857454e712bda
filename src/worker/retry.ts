/**
 * The one place that decides retry versus give-up: retriable errors (infrastructure) are retried
 * with exponential backoff and jitter while both budgets last (`max_attempts` and `max_elapsed_ms`,
 * the analogue of Kafka Connect's `errors.retry.timeout`); anything else fails at once.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { toVectorizeError, type VectorizeError } from './errors.ts'

export interface RetryPolicy {
  readonly max_attempts: number
  readonly max_elapsed_ms: number
  readonly initial_delay_ms: number
  readonly max_delay_ms: number
}

export function backoffMs(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const ceiling = Math.min(policy.max_delay_ms, policy.initial_delay_ms * 2 ** (attempt - 1))
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

/** `elapsedMs` includes the coming delay: an attempt that would start past the budget is not made. */
export function shouldRetry(
  err: VectorizeError,
  attempt: number,
  elapsedMs: number,
  policy: RetryPolicy,
): boolean {
  return err.retriable && attempt < policy.max_attempts && elapsedMs <= policy.max_elapsed_ms
}

export interface RetryHooks {
  onRetry?(err: VectorizeError, attempt: number, delayMs: number): void
}

/** Runs `fn` until it succeeds, fails with a non-retriable error, or attempts run out. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal,
  hooks: RetryHooks = {},
): Promise<T> {
  const started = performance.now()
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (thrown) {
      const err = toVectorizeError(thrown)
      const delay = backoffMs(attempt, policy)
      const elapsed = performance.now() - started + delay
      if (!shouldRetry(err, attempt, elapsed, policy) || signal.aborted) throw err
      hooks.onRetry?.(err, attempt, delay)
      await sleep(delay, undefined, { signal })
    }
  }
}
