/** A counting semaphore whose size can change at run time (SIGHUP changes concurrency). */
export class Slots {
  #size: number
  #used = 0
  readonly #waiters: (() => void)[] = []

  constructor(size: number) {
    this.#size = size
  }

  get used(): number {
    return this.#used
  }

  get size(): number {
    return this.#size
  }

  resize(size: number): void {
    this.#size = size
    this.#wake()
  }

  async acquire(signal: AbortSignal): Promise<void> {
    while (this.#used >= this.#size) {
      signal.throwIfAborted()
      await new Promise<void>((resolve) => {
        const wake = () => (signal.removeEventListener('abort', wake), resolve())
        this.#waiters.push(wake)
        signal.addEventListener('abort', wake, { once: true })
      })
    }
    this.#used++
  }

  release(): void {
    this.#used--
    this.#wake()
  }

  /** Resolves when nothing is held. */
  async idle(): Promise<void> {
    while (this.#used > 0) await new Promise<void>((resolve) => this.#waiters.push(resolve))
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake()
  }
}
