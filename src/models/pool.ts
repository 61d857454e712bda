/**
 * Main-thread side of the inference thread: starts it on first use, correlates requests and
 * replies, and restarts it after a crash (pending requests fail as `inference_failed`, retried;
 * models reload).
 */
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import type { Logger } from '../observability/logger.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { BatchEvent, ThreadMessage, ThreadRequest, ThreadResponse } from './thread-protocol.ts'

type Pending = {
  resolve(value: unknown): void
  reject(err: Error): void
  embed: boolean
  /** The thread started the request's first batch. */
  onRunning?: () => void
}
type Body = ThreadRequest extends infer R
  ? R extends { id: number }
    ? Omit<R, 'id'>
    : never
  : never

/** thread.js next to this file once compiled, thread.ts when run from source (tsx passes its loader on). */
const threadUrl = new URL(`./thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url)

/** How long close() waits for the run in progress before terminating the thread anyway. */
const EXIT_WAIT_MS = 60_000

/** Whether inference is moving: what the watchdog looks at. */
export interface InferenceActivity {
  /** Embed requests sent to the thread and not answered yet. */
  readonly pending: number
  /** When the thread last showed progress (a batch done, a reply), or work arrived after idling. */
  readonly lastProgressAt: number
}

export interface ThreadHooks {
  /** The thread died and was replaced: loaded models are gone. */
  onRestart(): void
  onBatch?(event: BatchEvent): void
}

export class InferenceThread {
  readonly #logger: Logger
  readonly #hooks: ThreadHooks
  #pendingEmbeds = 0
  #lastProgressAt = performance.now()
  #worker: Worker | undefined
  #nextId = 1
  readonly #pending = new Map<number, Pending>()
  #closed = false
  /** What killed the thread, for the error its pending requests get. */
  #crash: Error | undefined

  constructor(logger: Logger, hooks: ThreadHooks) {
    this.#logger = logger
    this.#hooks = hooks
  }

  get activity(): InferenceActivity {
    return { pending: this.#pendingEmbeds, lastProgressAt: this.#lastProgressAt }
  }

  /** `onRunning`: embed requests only, called when their first batch starts in the thread. */
  request<T>(body: Body, signal: AbortSignal, onRunning?: () => void): Promise<T> {
    if (this.#closed)
      return Promise.reject(new VectorizeError('cancelled', 'inference thread is closed'))
    if (signal.aborted)
      return Promise.reject(
        new VectorizeError('cancelled', 'inference was cancelled', { cause: signal.reason }),
      )
    const worker = this.#ensure()
    const id = this.#nextId++
    const embed = body.op === 'embed'
    if (embed && this.#pendingEmbeds++ === 0) this.#lastProgressAt = performance.now()
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        this.#forget(id)
        worker.postMessage({ op: 'cancel', id })
        reject(new VectorizeError('cancelled', 'inference was cancelled', { cause: signal.reason }))
      }
      signal.addEventListener('abort', onAbort, { once: true })
      const done = () => signal.removeEventListener('abort', onAbort)
      this.#pending.set(id, {
        resolve: (v) => (done(), resolve(v as T)),
        reject: (e) => (done(), reject(e)),
        embed,
        ...(onRunning && { onRunning }),
      })
      worker.postMessage({ ...body, id })
    })
  }

  /** Drops a pending request; true when there was one. */
  #forget(id: number): Pending | undefined {
    const pending = this.#pending.get(id)
    if (!pending) return undefined
    this.#pending.delete(id)
    if (pending.embed) this.#pendingEmbeds--
    return pending
  }

  #ensure(): Worker {
    if (this.#worker) return this.#worker
    const worker = new Worker(threadUrl, { name: 'vectorize-inference' })
    worker.on('message', (message: ThreadMessage) => this.#receive(message))
    worker.on('error', (err) => {
      this.#crash = err
      this.#logger.error({ err }, 'inference thread crashed')
    })
    worker.on('exit', (code) => this.#onExit(worker, code))
    this.#worker = worker
    return worker
  }

  #receive(message: ThreadMessage): void {
    this.#lastProgressAt = performance.now()
    if ('event' in message) {
      if (message.event === 'batch') this.#hooks.onBatch?.(message)
      else for (const id of message.ids) this.#pending.get(id)?.onRunning?.()
    } else if ('replies' in message) for (const reply of message.replies) this.#settle(reply)
    else this.#settle(message)
  }

  #settle(response: ThreadResponse): void {
    const pending = this.#forget(response.id)
    if (!pending) return // cancelled meanwhile
    if (response.ok) return pending.resolve(response.value)
    const { code, message, details } = response.error
    pending.reject(new VectorizeError(code, message, { ...(details && { details }) }))
  }

  #onExit(worker: Worker, code: number): void {
    if (this.#worker !== worker) return
    this.#worker = undefined
    const crash = this.#crash
    this.#crash = undefined
    const why = crash ? `: ${crash.message}` : ''
    const error = new VectorizeError(
      'inference_failed',
      `inference thread exited with code ${code}${why}`,
      { cause: crash },
    )
    this.#rejectAll(error)
    if (!this.#closed) {
      this.#logger.warn({ code }, 'inference thread exited; models will reload on next use')
      this.#hooks.onRestart()
    }
  }

  /**
   * Ends the thread after the ONNX run in progress, if any. `worker.terminate()` during a run
   * aborts the whole process: onnxruntime-node 1.30 runs a session synchronously on this thread,
   * and when the run returns into a terminating isolate its N-API wrapper cannot throw and calls
   * std::terminate ("terminate called after throwing an instance of 'Napi::Error'", exit 134;
   * issue 10, seen after a task timed out with its batch still running). So the thread is asked
   * to exit from inside: it reads the request only between runs. terminate() stays a last resort
   * for a thread that does not answer (a run that never returns).
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const worker = this.#worker
    this.#worker = undefined
    this.#rejectAll(new VectorizeError('cancelled', 'inference thread is closing'))
    if (!worker) return
    const exited = once(worker, 'exit')
    worker.postMessage({ op: 'exit', id: this.#nextId++ })
    const timer = setTimeout(() => {
      this.#logger.warn(
        { waited_ms: EXIT_WAIT_MS },
        'inference thread did not exit; terminating it',
      )
      void worker.terminate()
    }, EXIT_WAIT_MS)
    try {
      await exited
    } finally {
      clearTimeout(timer)
    }
  }

  #rejectAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error)
    this.#pending.clear()
    this.#pendingEmbeds = 0
  }
}
