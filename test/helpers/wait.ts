/** Bounded polling for tests: every wait has a deadline and says what it was waiting for. */
import { setTimeout as sleep } from 'node:timers/promises'

export interface WaitOptions {
  readonly timeoutMs: number
  /** Poll interval; default 100 ms. */
  readonly intervalMs?: number
  /** Called on every poll; throws to give up early (a worker that died, say). */
  readonly check?: () => void
}

/**
 * Polls `done` until it is true. On timeout it rejects with `what()` evaluated then, so the
 * message can say how far it got ("2,981/3,000 tasks succeeded").
 */
export async function waitUntil(
  what: () => string,
  done: () => boolean | Promise<boolean>,
  { timeoutMs, intervalMs = 100, check }: WaitOptions,
): Promise<void> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    check?.()
    if (await done()) return
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`)
    }
    await sleep(intervalMs)
  }
}
