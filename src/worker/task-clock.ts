/**
 * The clock of `processing.task_timeout_ms`. It counts a task's own work — reading and parsing
 * content, chunking, its inference, store writes, reports — and stops while the task's texts wait
 * for shared inference capacity: queued behind other tasks' texts, a wait that says how busy the
 * worker is, not what is wrong with the task. Counting it dead-lettered healthy tasks as
 * `task_timeout` (a data error) whenever a slow or busy machine had many queued (issue 11: 200
 * MPNet tasks on a loaded machine). Inference that stops moving altogether is the watchdog's
 * (`worker.watchdog_ms`), not a task's.
 */
import type { Embedder, InferenceQueueObserver, ModelManager } from '../models/embedder.ts'

export class TaskClock {
  readonly #controller = new AbortController()
  #remainingMs: number
  #since = 0
  #timer: NodeJS.Timeout | undefined
  /** Embed requests of the task waiting in the shared queue now. */
  #waiting = 0
  #disposed = false

  constructor(timeoutMs: number) {
    this.#remainingMs = timeoutMs
    this.#run()
  }

  /** Aborts (a TimeoutError) once the task has worked `timeoutMs`. */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** An observer for one embed request: the clock stops from `waiting()` to `running()`. */
  observer(): InferenceQueueObserver & { settled(): void } {
    let waiting = false
    const running = () => {
      if (!waiting) return
      waiting = false
      if (--this.#waiting === 0) this.#run()
    }
    return {
      waiting: () => {
        if (waiting) return
        waiting = true
        if (this.#waiting++ === 0) this.#stop()
      },
      running,
      settled: running,
    }
  }

  /** The ModelManager as the task sees it: its embed requests stop this clock while queued. */
  models(inner: ModelManager): ModelManager {
    return {
      get: async (name, opts) => this.#embedder(await inner.get(name, opts)),
      loaded: () => inner.loaded(),
      close: () => inner.close(),
    }
  }

  dispose(): void {
    this.#disposed = true
    clearTimeout(this.#timer)
  }

  #embedder(inner: Embedder): Embedder {
    return {
      ...inner,
      embed: async (texts, opts) => {
        const queue = this.observer()
        try {
          return await inner.embed(texts, { ...opts, queue })
        } finally {
          queue.settled() // cancelled or failed while still queued
        }
      },
    }
  }

  #run(): void {
    if (this.#disposed || this.#controller.signal.aborted) return
    this.#since = performance.now()
    this.#timer = setTimeout(
      () => {
        this.#controller.abort(new DOMException('the task timed out', 'TimeoutError'))
      },
      Math.max(0, this.#remainingMs),
    )
  }

  #stop(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#remainingMs -= performance.now() - this.#since
  }
}
