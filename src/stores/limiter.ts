/** A cap on requests in flight: the store's writes share it, whichever task they come from. */
export class Limiter {
  readonly #max: number
  #active = 0
  readonly #waiting: (() => void)[] = []

  constructor(max: number) {
    this.#max = Math.max(1, max)
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#max) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve))
    } else {
      this.#active++
    }
    try {
      return await fn()
    } finally {
      const next = this.#waiting.shift()
      // The slot passes straight to the next waiter, so `#active` never dips below the cap.
      if (next !== undefined) next()
      else this.#active--
    }
  }
}
