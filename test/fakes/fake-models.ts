/**
 * A ModelManager without ONNX, for fast tests of the worker: vectors are a deterministic function
 * of the text (a hash spread over `dimensions`, normalised), tokens are words plus two. It passes
 * the same contract suite as TransformersModels (test/models/contract.ts) and can fail the way the
 * inference thread does:
 * - `rejectInput`: a request holding such a text fails alone with `inference_rejected`, as the
 *   inference thread isolates a bad input of a shared batch (embed-queue.ts);
 * - `crash()`: the thread dies: requests in flight fail with `inference_failed` (retried), loaded
 *   models are forgotten and load again on next use;
 * - `beforeAnswer`: awaited before each embedding is answered, to hold or time one;
 * - `queued`: awaited before that, while the request waits for shared inference capacity (told to
 *   the caller's queue observer, as the inference thread tells it when a batch starts).
 */
import type {
  EmbedOptions,
  Embedder,
  Embedding,
  ModelInfo,
  ModelManager,
} from '../../src/models/embedder.ts'
import { VectorizeError } from '../../src/worker/errors.ts'
import type { Signal } from '../../src/worker/types.ts'

export interface FakeModelsOptions {
  /** The model `get(undefined)` returns. */
  readonly default?: string
  /** Known models and their dimensions; others are `unknown_model`. */
  readonly models?: Readonly<Record<string, number>>
  readonly maxTokens?: number
  readonly rejectInput?: (text: string) => boolean
  /** Awaited before each `embed` answers (after the signal check); a rejection fails the request. */
  readonly beforeAnswer?: (texts: readonly string[], signal: AbortSignal) => Promise<void>
  /** Awaited first, the request queued behind other work (`opts.queue` is told `waiting`, then `running`). */
  readonly queued?: (texts: readonly string[], signal: AbortSignal) => Promise<void>
}

export class FakeModels implements ModelManager {
  readonly #options: Required<Omit<FakeModelsOptions, 'rejectInput' | 'beforeAnswer' | 'queued'>> &
    FakeModelsOptions
  readonly #loaded = new Map<string, ModelInfo>()
  /** Rejecters of the requests in flight, for `crash()`. */
  readonly #inFlight = new Set<(err: VectorizeError) => void>()
  #closed = false
  /** How many times a model was loaded (a crash makes the next use load again). */
  loads = 0
  /** Every `embed` call: its texts. */
  readonly calls: string[][] = []

  constructor(options: FakeModelsOptions = {}) {
    this.#options = {
      default: 'fake/model',
      models: { 'fake/model': 8 },
      maxTokens: 32,
      ...options,
    }
  }

  get(name: string | undefined, _opts: Signal): Promise<Embedder> {
    const requested = name ?? this.#options.default
    if (this.#closed) return Promise.reject(closed())
    const dimensions = this.#options.models[requested]
    if (dimensions === undefined) {
      const known = Object.keys(this.#options.models).join(', ')
      return Promise.reject(
        new VectorizeError('unknown_model', `model "${requested}" not found; tried: ${known}`),
      )
    }
    let info = this.#loaded.get(requested)
    if (!info) {
      this.loads++
      info = this.#info(requested, dimensions)
      this.#loaded.set(requested, info)
    }
    return Promise.resolve(this.#embedder(info))
  }

  loaded(): readonly ModelInfo[] {
    return [...this.#loaded.values()]
  }

  /** The inference thread dies: everything in flight fails as `inference_failed`; models reload. */
  crash(): void {
    this.#loaded.clear()
    const error = new VectorizeError('inference_failed', 'inference thread exited with code 1')
    for (const reject of [...this.#inFlight]) reject(error)
  }

  close(): Promise<void> {
    this.#closed = true
    for (const reject of [...this.#inFlight]) reject(closed())
    return Promise.resolve()
  }

  #info(name: string, dimensions: number): ModelInfo {
    return {
      name,
      identity: `${name}@fp32`,
      family: 'sentence-transformers',
      dimensions,
      maxTokens: this.#options.maxTokens,
      pooling: 'mean',
      normalize: true,
      dtype: 'fp32',
      device: 'cpu',
      location: 'memory',
    }
  }

  #embedder(info: ModelInfo): Embedder {
    const tokens = (text: string) => text.split(/\s+/).filter(Boolean).length + 2
    const embed = (texts: readonly string[], { signal, queue }: EmbedOptions) =>
      this.#request(signal, async (): Promise<Embedding[]> => {
        this.calls.push([...texts])
        if (this.#options.queued) {
          queue?.waiting()
          await this.#options.queued(texts, signal)
          queue?.running()
        }
        await this.#options.beforeAnswer?.(texts, signal)
        const bad = texts.find((t) => this.#options.rejectInput?.(t))
        if (bad !== undefined)
          throw new VectorizeError(
            'inference_rejected',
            `inference failed on ${JSON.stringify(bad)}`,
          )
        return texts.map((text) => ({
          vector: vectorOf(text, info.dimensions),
          inputTokens: tokens(text),
          truncated: tokens(text) > info.maxTokens,
        }))
      })
    const countTokens = (texts: readonly string[], { signal }: Signal) =>
      this.#request(signal, () => Promise.resolve(texts.map(tokens)))
    return { info, embed, countTokens }
  }

  /** One request "in the thread": rejects on abort, crash or close, whichever comes first. */
  #request<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(closed())
    if (signal.aborted)
      return Promise.reject(new VectorizeError('cancelled', 'inference was cancelled'))
    return new Promise<T>((resolve, reject) => {
      const fail = (err: VectorizeError) => (done(), reject(err))
      const onAbort = () =>
        fail(new VectorizeError('cancelled', 'inference was cancelled', { cause: signal.reason }))
      const done = () => (this.#inFlight.delete(fail), signal.removeEventListener('abort', onAbort))
      this.#inFlight.add(fail)
      signal.addEventListener('abort', onAbort, { once: true })
      // a macrotask later, as an answer from another thread would come
      setImmediate(() => {
        work().then(
          (value) => {
            if (!this.#inFlight.has(fail)) return // answered already (abort, crash, close)
            done()
            resolve(value)
          },
          (err: unknown) => {
            if (this.#inFlight.has(fail)) fail(err as VectorizeError)
          },
        )
      })
    })
  }
}

function closed(): VectorizeError {
  return new VectorizeError('cancelled', 'the model manager is closed')
}

/** A unit vector that depends on every character of the text: FNV-1a seeds a mulberry32 stream. */
export function vectorOf(text: string, dimensions: number): Float32Array {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
  const v = Float32Array.from({ length: dimensions }, () => {
    h = (h + 0x6d2b79f5) >>> 0
    let t = Math.imul(h ^ (h >>> 15), h | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1
  })
  const norm = Math.hypot(...v) || 1
  return v.map((x) => x / norm)
}
