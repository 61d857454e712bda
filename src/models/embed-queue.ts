/**
 * Dynamic batching inside the inference thread: requests from many tasks queue up in the thread's
 * message port while a batch runs (onnxruntime-node runs a session synchronously, blocking this
 * thread — not the main one), then the next round packs everything pending into length-sorted,
 * token-budgeted batches (batching.ts). Tokenizing also happens here, between batches: a separate
 * tokenizer thread would overlap it with inference (a few percent for MiniLM-sized models).
 */
import { planBatches } from './batching.ts'
import type { Tokenized, TextModel } from './runner.ts'
import type { BatchEvent, EmbedOutput, ThreadError } from './thread-protocol.ts'

interface Request {
  readonly id: number
  readonly count: number
  readonly vectors: Float32Array[]
  readonly inputTokens: Int32Array
  readonly truncated: Uint8Array
  done: number
  failed: boolean
  /** A batch holding some of its texts has started (RunningEvent sent). */
  running: boolean
}

interface Item {
  readonly request: Request
  readonly index: number
  readonly input: Tokenized
}

export type Reply = (
  id: number,
  result: { ok: true; value: EmbedOutput } | { ok: false; error: ThreadError },
) => void

export interface QueueOptions {
  maxBatchTokens: number
  readonly maxBatchWaitMs: number
  readonly key: string
  /** Told after every batch (watchdog progress, batch-size metrics). */
  readonly onBatch?: (event: BatchEvent) => void
  /** Told before a batch runs, with the requests whose first texts it holds. */
  readonly onRunning?: (ids: readonly number[]) => void
  /**
   * TEST HOOK ONLY (env VECTORIZE_TEST_HOOK_HANG_INFERENCE): batches never finish, as if ONNX
   * Runtime hung, so tests can show the watchdog turning /health red.
   */
  readonly hang?: boolean
}

export class EmbedQueue {
  readonly #model: TextModel
  readonly #options: QueueOptions
  readonly #reply: Reply
  #pending: Item[] = []
  #running = false
  #timer: NodeJS.Timeout | undefined
  readonly #requests = new Map<number, Request>()

  constructor(model: TextModel, options: QueueOptions, reply: Reply) {
    this.#model = model
    this.#options = { ...options }
    this.#reply = reply
  }

  add(id: number, texts: readonly string[]): void {
    let inputs: Tokenized[]
    try {
      // the tokenizer refuses an empty list; no texts, no vectors (the ModelManager contract)
      inputs = texts.length === 0 ? [] : this.#model.tokenize(texts)
    } catch (err) {
      this.#reply(id, { ok: false, error: failure('tokenization failed', err) })
      return
    }
    const count = texts.length
    const request: Request = {
      id,
      count,
      vectors: [],
      inputTokens: new Int32Array(count),
      truncated: new Uint8Array(count),
      done: 0,
      failed: false,
      running: false,
    }
    this.#requests.set(id, request)
    inputs.forEach((input, index) => {
      request.inputTokens[index] = input.inputTokens
      request.truncated[index] = input.truncated ? 1 : 0
      this.#pending.push({ request, index, input })
    })
    if (count === 0) this.#complete(request)
    this.#schedule()
  }

  /** SIGHUP: the token budget of the next batches. */
  setMaxBatchTokens(tokens: number): void {
    this.#options.maxBatchTokens = tokens
  }

  cancel(id: number): void {
    const request = this.#requests.get(id)
    if (!request) return
    request.failed = true
    this.#requests.delete(id)
    this.#pending = this.#pending.filter((item) => item.request !== request)
  }

  #schedule(): void {
    if (this.#running || this.#timer || this.#pending.length === 0) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#flush()
    }, this.#options.maxBatchWaitMs)
  }

  async #flush(): Promise<void> {
    this.#running = true
    const items = this.#pending
    this.#pending = []
    const plan = planBatches(
      items.map((item) => item.input.ids.length),
      this.#options.maxBatchTokens,
    )
    for (const batch of plan) {
      await this.#runBatch(batch.map((i) => items[i]!).filter((item) => !item.request.failed))
    }
    this.#running = false
    this.#schedule()
  }

  async #runBatch(items: Item[]): Promise<void> {
    if (items.length === 0) return
    if (this.#options.hang) await new Promise<never>(() => undefined)
    this.#tellRunning(items)
    try {
      const started = performance.now()
      const vectors = await this.#model.run(items.map((item) => item.input))
      this.#options.onBatch?.({
        event: 'batch',
        key: this.#options.key,
        items: items.length,
        tokens: items.length * Math.max(...items.map((item) => item.input.ids.length)),
        ms: performance.now() - started,
      })
      items.forEach((item, i) => this.#store(item, vectors[i]!))
    } catch (err) {
      await this.#isolate(items, err)
    }
  }

  #tellRunning(items: readonly Item[]): void {
    const starting = new Set<Request>()
    for (const { request } of items) if (!request.running) starting.add(request)
    if (starting.size === 0) return
    for (const request of starting) request.running = true
    this.#options.onRunning?.([...starting].map((r) => r.id))
  }

  /** A failed batch is re-run request by request so one bad input fails only its own task. */
  async #isolate(items: Item[], err: unknown): Promise<void> {
    const requests = new Set(items.map((item) => item.request))
    if (requests.size === 1) {
      this.#fail([...requests][0]!, err)
      return
    }
    for (const request of requests)
      await this.#runBatch(items.filter((item) => item.request === request))
  }

  #store(item: Item, vector: Float32Array): void {
    const { request } = item
    if (request.failed) return
    request.vectors[item.index] = vector
    request.done++
    if (request.done === request.count) this.#complete(request)
  }

  #complete(request: Request): void {
    this.#requests.delete(request.id)
    const dimensions = request.vectors[0]?.length ?? 0
    const vectors = new Float32Array(request.count * dimensions)
    request.vectors.forEach((v, i) => vectors.set(v, i * dimensions))
    this.#reply(request.id, {
      ok: true,
      value: {
        vectors,
        dimensions,
        inputTokens: request.inputTokens,
        truncated: request.truncated,
      },
    })
  }

  #fail(request: Request, err: unknown, code: ThreadError['code'] = 'inference_rejected'): void {
    request.failed = true
    this.#requests.delete(request.id)
    this.#reply(request.id, { ok: false, error: failure('inference failed', err, code) })
  }

  /** Fails everything still queued (the model is being unloaded: not the input's fault, retried). */
  close(): void {
    clearTimeout(this.#timer)
    for (const request of this.#requests.values()) {
      this.#fail(request, new Error('model was unloaded'), 'inference_failed')
    }
    this.#pending = []
  }
}

/** An input the model fails on alone is `inference_rejected` (data: dead-lettered, not retried). */
function failure(what: string, err: unknown, code: ThreadError['code'] = 'inference_rejected') {
  return { code, message: `${what}: ${(err as Error)?.message ?? String(err)}` }
}
