/**
 * Main-thread side of the inference thread: starts it on first use, correlates requests and
 * replies, and restarts it after a crash (pending requests fail as retriable, models reload).
 */
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Logger } from '../observability/logger.ts'
import { VectorizeError, type ErrorCode } from '../worker/errors.ts'
import type { ThreadRequest, ThreadResponse } from './thread-protocol.ts'

type Pending = { resolve(value: unknown): void; reject(err: Error): void }
type Body = ThreadRequest extends infer R
  ? R extends { id: number }
    ? Omit<R, 'id'>
    : never
  : never

/** thread.js next to this file once compiled, thread.ts when run from source (tsx passes its loader on). */
const threadUrl = new URL(`./thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url)

export class InferenceThread {
  readonly #logger: Logger
  readonly #onRestart: () => void
  #worker: Worker | undefined
  #nextId = 1
  readonly #pending = new Map<number, Pending>()
  #closed = false
  /** What killed the thread, for the error its pending requests get. */
  #crash: Error | undefined

  constructor(logger: Logger, onRestart: () => void) {
    this.#logger = logger
    this.#onRestart = onRestart
  }

  request<T>(body: Body, signal: AbortSignal): Promise<T> {
    if (this.#closed)
      return Promise.reject(new VectorizeError('cancelled', 'inference thread is closed'))
    signal.throwIfAborted()
    const worker = this.#ensure()
    const id = this.#nextId++
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        this.#pending.delete(id)
        worker.postMessage({ op: 'cancel', id })
        reject(new VectorizeError('cancelled', 'inference was cancelled', { cause: signal.reason }))
      }
      signal.addEventListener('abort', onAbort, { once: true })
      const done = () => signal.removeEventListener('abort', onAbort)
      this.#pending.set(id, {
        resolve: (v) => (done(), resolve(v as T)),
        reject: (e) => (done(), reject(e)),
      })
      worker.postMessage({ ...body, id })
    })
  }

  #ensure(): Worker {
    if (this.#worker) return this.#worker
    const worker = new Worker(threadUrl, { name: 'vectorize-inference' })
    worker.on('message', (response: ThreadResponse) => this.#settle(response))
    worker.on('error', (err) => {
      this.#crash = err
      this.#logger.error({ err }, 'inference thread crashed')
    })
    worker.on('exit', (code) => this.#onExit(worker, code))
    this.#worker = worker
    return worker
  }

  #settle(response: ThreadResponse): void {
    const pending = this.#pending.get(response.id)
    if (!pending) return // cancelled meanwhile
    this.#pending.delete(response.id)
    if (response.ok) return pending.resolve(response.value)
    const { code, message, retriable, details } = response.error
    pending.reject(
      new VectorizeError(code as ErrorCode, message, { retriable, ...(details && { details }) }),
    )
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
      {
        retriable: true,
        cause: crash,
      },
    )
    for (const pending of this.#pending.values()) pending.reject(error)
    this.#pending.clear()
    if (!this.#closed) {
      this.#logger.warn({ code }, 'inference thread exited; models will reload on next use')
      this.#onRestart()
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const worker = this.#worker
    this.#worker = undefined
    for (const pending of this.#pending.values())
      pending.reject(new VectorizeError('cancelled', 'inference thread is closing'))
    this.#pending.clear()
    if (worker) await worker.terminate()
  }
}
