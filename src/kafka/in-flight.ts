/**
 * Native Kafka calls still running. A call goes on after its caller's signal aborts (a libuv
 * thread holds it until the broker answers or its timeout ends), and the promisified admin chains
 * a second native call after the first (topic metadata, then ListOffsets). Disconnecting a client
 * under them frees the handle they use: the worker died with SIGSEGV in
 * `AdminClient::ListOffsets` after a clean drain, when a background lag probe overlapped SIGTERM.
 * A client's close first stops new calls, then awaits these (each bounded by its own timeout).
 */
export class InFlight {
  readonly #calls = new Set<Promise<void>>()

  /** Returns `call` unchanged; `settled()` waits for it. */
  track<T>(call: Promise<T>): Promise<T> {
    const done: Promise<void> = call.then(
      () => undefined,
      () => undefined,
    )
    this.#calls.add(done)
    void done.then(() => this.#calls.delete(done))
    return call
  }

  /** Resolves once every tracked call has settled, including calls tracked meanwhile. */
  async settled(): Promise<void> {
    while (this.#calls.size > 0) await Promise.all(this.#calls)
  }
}
