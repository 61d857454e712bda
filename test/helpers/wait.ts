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

/**
 * Waits on events instead of polling: call `changed()` where the watched state changes (a log
 * line written, a socket closed); `until` resolves at the first change after which `done()` holds
 * (or at once if it already does), and rejects at its deadline saying what it waited for.
 */
export class Watch {
  readonly #waiters = new Set<() => void>()

  changed(): void {
    for (const waiter of [...this.#waiters]) waiter()
  }

  until(what: () => string, done: () => boolean, timeoutMs: number): Promise<void> {
    if (done()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer)
        this.#waiters.delete(check)
      }
      const check = () => {
        if (!done()) return
        finish()
        resolve()
      }
      const timer = setTimeout(() => {
        finish()
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`))
      }, timeoutMs)
      this.#waiters.add(check)
    })
  }
}
