/**
 * Periodic: runs a job now and then every `intervalMs` after the previous run ended, never two at
 * once, on an unref'd timer (it never keeps the process alive). A failing run is reported and the
 * next one runs on schedule: upkeep of the embedded queue's files must never stop the worker.
 */
export class Periodic {
  readonly #job: () => Promise<void>
  readonly #intervalMs: number
  readonly #onError: (err: unknown) => void
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #closed = false

  constructor(job: () => Promise<void>, intervalMs: number, onError: (err: unknown) => void) {
    this.#job = job
    this.#intervalMs = intervalMs
    this.#onError = onError
    this.#schedule(0)
  }

  /** Stops the schedule and waits for a run in progress. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    await this.#running
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return
    this.#timer = setTimeout(() => {
      this.#running = this.#job()
        .catch((err: unknown) => this.#onError(err))
        .finally(() => {
          this.#running = undefined
          this.#schedule(this.#intervalMs)
        })
    }, delayMs)
    this.#timer.unref()
  }
}
