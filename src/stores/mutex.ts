/**
 * One write at a time per key (table) inside this process. LanceDB has no multi-writer safety:
 * concurrent commits to one table conflict (lancedb#725, #1504) and concurrent mergeInserts can
 * insert the same id twice (lancedb#2463), so the adapter chains its writes per table.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>()

  /** Runs `fn` after every earlier `run` with the same key has settled. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve()
    let release = (): void => {}
    const current = new Promise<void>((resolve) => (release = resolve))
    const tail = previous.then(() => current)
    this.#tails.set(key, tail)
    await previous
    try {
      return await fn()
    } finally {
      release()
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    }
  }
}
