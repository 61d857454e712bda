/**
 * ModelManager on transformers.js + onnxruntime-node. Models are located on disk first (so a
 * missing one names every path tried), loaded into the inference thread, cached, and evicted least
 * recently used beyond `models.max_loaded` models or `models.max_memory_bytes` of model files
 * (footprint.ts), after their in-flight requests finish.
 */
import type { Logger } from '../observability/logger.ts'
import type { VectorizeError } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'
import { lookupModel } from './catalog.ts'
import { chooseDevice, currentPlatform, type DeviceChoice } from './device.ts'
import type {
  Device,
  Dtype,
  Embedder,
  Embedding,
  ModelEvents,
  ModelInfo,
  ModelManager,
  Pooling,
} from './embedder.ts'
import { footprintBytes } from './footprint.ts'
import { loadError, NO_DOWNLOADS, notFoundError, overBudgetError } from './load-errors.ts'
import { locateModel, type LocateResult, type ModelLocation } from './locate.ts'
import { InferenceThread, type InferenceActivity } from './pool.ts'
import type { BatchEvent, EmbedOutput, ImageOutput, LoadedModel } from './thread-protocol.ts'

export interface ModelsOptions {
  readonly default: string
  readonly max_loaded: number
  /** Budget for the loaded models' files in bytes; 0 = no budget. */
  readonly max_memory_bytes: number
  readonly device: Device
  readonly dtype: Dtype
  readonly pooling: Pooling
  readonly normalize: boolean
  readonly dir: string
  readonly cache_dir: string
  readonly allow_remote: boolean
  readonly threads: number
  readonly allow_spinning: boolean
  readonly maxBatchTokens: number
  readonly maxBatchWaitMs: number
}

export interface ModelsDeps {
  readonly logger: Logger
  readonly device?: DeviceChoice
  readonly events?: ModelEvents
}

interface Entry {
  readonly key: string
  readonly embedder: Promise<Embedder>
  /** Its footprint against models.max_memory_bytes (0 while unknown: not downloaded yet). */
  bytes: number
  lastUsed: number
  inflight: number
  evicted: boolean
}

export class TransformersModels implements ModelManager {
  readonly #options: ModelsOptions
  readonly #logger: Logger
  readonly #thread: InferenceThread
  readonly #entries = new Map<string, Entry>()
  readonly #infos = new Map<string, ModelInfo>()
  readonly #device: DeviceChoice
  readonly #events: ModelEvents | undefined
  #maxBatchTokens: number

  constructor(options: ModelsOptions, deps: ModelsDeps) {
    this.#options = options
    this.#logger = deps.logger
    this.#events = deps.events
    this.#maxBatchTokens = options.maxBatchTokens
    this.#device = deps.device ?? chooseDevice(options.device, currentPlatform())
    this.#thread = new InferenceThread(deps.logger, {
      onRestart: () => this.#forgetAll(),
      onBatch: (event) => this.#onBatch(event),
    })
    this.#logger.info(
      { device: this.#device.device, reason: this.#device.reason },
      `inference device: ${this.#device.device}`,
    )
  }

  /** Loads are shared by every task waiting for the model, so one task's cancellation doesn't abort it. */
  get(name: string | undefined, _opts: Signal): Promise<Embedder> {
    const requested = name ?? this.#options.default
    const key = this.#keyOf(requested)
    let entry = this.#entries.get(key)
    if (!entry) {
      const located = this.locate(requested)
      const bytes = located.found ? footprintBytes(located.found, this.#options.dtype) : 0
      const tooBig = this.#overBudget(requested, located, bytes)
      if (tooBig) return Promise.reject(tooBig)
      this.#evictFor(bytes)
      entry = {
        key,
        embedder: this.#load(requested, key, located),
        bytes,
        lastUsed: 0,
        inflight: 0,
        evicted: false,
      }
      this.#entries.set(key, entry)
      entry.embedder.catch(() => this.#entries.delete(key))
    }
    entry.lastUsed = performance.now()
    return entry.embedder
  }

  loaded(): readonly ModelInfo[] {
    return [...this.#infos.values()]
  }

  /** Whether the model (the default when `name` is undefined) is loaded and ready now. */
  isLoaded(name?: string): boolean {
    return this.#infos.has(this.#keyOf(name ?? this.#options.default))
  }

  #keyOf(requested: string): string {
    return `${lookupModel(requested)?.name ?? requested}@${this.#options.dtype}`
  }

  /** Pending inference and when it last moved (the watchdog's input). */
  get activity(): InferenceActivity {
    return this.#thread.activity
  }

  /** SIGHUP: the padded-token budget of inference batches, for loaded models and later loads. */
  async setMaxBatchTokens(tokens: number): Promise<void> {
    this.#maxBatchTokens = tokens
    if (this.#entries.size === 0) return
    await this.#thread.request(
      { op: 'configure', maxBatchTokens: tokens },
      AbortSignal.timeout(10_000),
    )
  }

  async close(): Promise<void> {
    for (const info of this.#infos.values()) this.#events?.unloaded(info.identity)
    this.#entries.clear()
    this.#infos.clear()
    await this.#thread.close()
  }

  /** Finds the files and the model identity without loading (used by `collections`, `search`). */
  locate(name: string | undefined): LocateResult {
    return locateModel(name ?? this.#options.default, {
      dirs: this.#dirs(),
      dtype: this.#options.dtype,
      pooling: this.#options.pooling,
    })
  }

  async #load(requested: string, key: string, located: LocateResult): Promise<Embedder> {
    const where = located.found ?? this.#remoteOrThrow(requested, located)
    const spec = this.#spec(key, where)
    let loaded: LoadedModel
    try {
      loaded = await this.#thread.request<LoadedModel>(
        { op: 'load', spec },
        new AbortController().signal,
      )
    } catch (err) {
      throw this.#loadError(requested, located, err)
    }
    if (loaded.fallbackReason) this.#logger.warn({ model: key }, loaded.fallbackReason)
    const info = this.#info(requested, where, loaded)
    this.#infos.set(key, info)
    this.#events?.loaded(info, loaded)
    this.#logger.info(
      {
        model: info.identity,
        dimensions: info.dimensions,
        device: info.device,
        load_ms: Math.round(loaded.loadMs),
        from: info.location,
      },
      'model loaded',
    )
    return this.#embedder(key, info)
  }

  #remoteOrThrow(requested: string, located: LocateResult): ModelLocation {
    if (this.#options.allow_remote) return located.remote
    throw notFoundError(requested, this.#isDefault(requested), located, NO_DOWNLOADS)
  }

  #loadError(requested: string, located: LocateResult, err: unknown): VectorizeError {
    return loadError(requested, this.#isDefault(requested), located, err)
  }

  #isDefault(requested: string): boolean {
    return requested === this.#options.default
  }

  #spec(key: string, where: ModelLocation) {
    const o = this.#options
    return {
      key,
      root: where.root,
      repo: where.repo,
      family: where.family,
      pooling: where.pooling,
      normalize: o.normalize,
      dtype: o.dtype,
      device: this.#device.device,
      threads: o.threads,
      allowSpinning: o.allow_spinning,
      allowRemote: o.allow_remote && !where.dir,
      cacheDir: o.cache_dir,
      maxBatchTokens: this.#maxBatchTokens,
      maxBatchWaitMs: o.maxBatchWaitMs,
      ...(where.maxTokens && { maxTokens: where.maxTokens }),
    }
  }

  #info(requested: string, where: ModelLocation, loaded: LoadedModel): ModelInfo {
    return {
      name: where.name || requested,
      identity: `${where.name || requested}@${this.#options.dtype}`,
      family: where.family,
      dimensions: loaded.dimensions,
      maxTokens: loaded.maxTokens,
      pooling: where.pooling,
      normalize: this.#options.normalize,
      dtype: this.#options.dtype,
      device: loaded.device,
      location: where.dir ?? `hub:${where.repo}`,
    }
  }

  #embedder(key: string, info: ModelInfo): Embedder {
    const embed: Embedder['embed'] = (texts, opts) =>
      this.#inflight(key, async () => {
        // queued in the thread until the batch holding its first texts starts
        opts.queue?.waiting()
        const request = { op: 'embed', key, texts } as const
        const running = opts.queue && (() => opts.queue!.running())
        return toEmbeddings(await this.#thread.request<EmbedOutput>(request, opts.signal, running))
      })
    const countTokens: Embedder['countTokens'] = (texts, opts) =>
      this.#inflight(key, async () => [
        ...(await this.#thread.request<Int32Array>({ op: 'countTokens', key, texts }, opts.signal)),
      ])
    if (info.family !== 'clip') return { info, embed, countTokens }
    const embedImages: Embedder['embedImages'] = (images, opts) =>
      this.#inflight(key, async () => {
        const out = await this.#thread.request<ImageOutput>(
          { op: 'embedImages', key, images },
          opts.signal,
        )
        const d = out.dimensions
        return images.map((_, i) => out.vectors.subarray(i * d, (i + 1) * d))
      })
    return { info, embed, countTokens, embedImages }
  }

  /** Counts a request against its model, so an evicted model unloads only once idle. */
  async #inflight<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const entry = this.#entries.get(key)
    if (entry) entry.inflight++
    try {
      return await fn()
    } finally {
      if (entry && --entry.inflight === 0 && entry.evicted) void this.#unload(entry)
    }
  }

  /** A model that alone exceeds models.max_memory_bytes can never be loaded. */
  #overBudget(requested: string, located: LocateResult, bytes: number): VectorizeError | undefined {
    const budget = this.#options.max_memory_bytes
    if (budget === 0 || bytes <= budget) return undefined
    return overBudgetError(requested, located, bytes, budget)
  }

  /** Makes room for one more model of `bytes`: least recently used ones go. */
  #evictFor(bytes: number): void {
    const budget = this.#options.max_memory_bytes || Infinity
    const used = () => [...this.#entries.values()].reduce((sum, e) => sum + e.bytes, 0)
    while (
      this.#entries.size > 0 &&
      (this.#entries.size >= this.#options.max_loaded || used() + bytes > budget)
    ) {
      const lru = [...this.#entries.values()].sort((a, b) => a.lastUsed - b.lastUsed)[0]!
      const why = this.#entries.size >= this.#options.max_loaded ? 'max_loaded' : 'max_memory_bytes'
      this.#entries.delete(lru.key)
      this.#forgetInfo(lru.key)
      lru.evicted = true
      this.#logger.info(
        { model: lru.key, bytes: lru.bytes },
        `model evicted (models.${why} reached)`,
      )
      if (lru.inflight === 0) void this.#unload(lru)
    }
  }

  async #unload(entry: Entry): Promise<void> {
    try {
      await entry.embedder
      await this.#thread.request({ op: 'unload', key: entry.key }, AbortSignal.timeout(60_000))
    } catch (err) {
      this.#logger.debug({ err, model: entry.key }, 'unload skipped')
    }
  }

  #forgetAll(): void {
    this.#entries.clear()
    for (const key of [...this.#infos.keys()]) this.#forgetInfo(key)
  }

  #forgetInfo(key: string): void {
    const info = this.#infos.get(key)
    this.#infos.delete(key)
    if (info) this.#events?.unloaded(info.identity)
  }

  #onBatch(event: BatchEvent): void {
    const model = this.#infos.get(event.key)?.identity ?? event.key
    this.#events?.batch({ model, items: event.items, tokens: event.tokens, ms: event.ms })
  }

  #dirs(): string[] {
    return [...new Set([this.#options.dir, this.#options.cache_dir])]
  }
}

function toEmbeddings(out: EmbedOutput): Embedding[] {
  const n = out.inputTokens.length
  const d = out.dimensions
  return Array.from({ length: n }, (_, i) => ({
    vector: out.vectors.subarray(i * d, (i + 1) * d),
    inputTokens: out.inputTokens[i]!,
    truncated: out.truncated[i] === 1,
  }))
}
