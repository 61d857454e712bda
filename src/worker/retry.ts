/**
 * The one place that decides retry versus give-up: retriable errors (infrastructure) are retried
 * with exponential backoff and full jitter up to `max_attempts`; anything else fails at once.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { toVectorizeError, type VectorizeError } from './errors.ts'

export interface RetryPolicy {
  readonly max_attempts: number
  readonly initial_delay_ms: number
  readonly max_delay_ms: number
}

export function backoffMs(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const ceiling = Math.min(policy.max_delay_ms, policy.initial_delay_ms * 2 ** (attempt - 1))
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

export function shouldRetry(err: VectorizeError, attempt: number, policy: RetryPolicy): boolean {
  return err.retriable && attempt < policy.max_attempts
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
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (thrown) {
      const err = toVectorizeError(thrown)
      if (!shouldRetry(err, attempt, policy) || signal.aborted) throw err
      const delay = backoffMs(attempt, policy)
      hooks.onRetry?.(err, attempt, delay)
      await sleep(delay, undefined, { signal })
    }
  }
}
