/**
 * Embedder: text in, vectors out, for one loaded model. ModelManager loads, caches and evicts
 * them. Inference never runs on the main thread (pool.ts moves it to a worker thread).
 */
import type { Signal } from '../worker/types.ts'

export const devices = ['auto', 'cpu', 'cuda', 'coreml'] as const
export type Device = (typeof devices)[number]
export type ResolvedDevice = Exclude<Device, 'auto'>

export const poolings = ['mean', 'cls'] as const
export type Pooling = (typeof poolings)[number]

export const dtypes = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'bnb4'] as const
export type Dtype = (typeof dtypes)[number]

export const modelFamilies = ['sentence-transformers', 'transformers', 'clip'] as const
export type ModelFamily = (typeof modelFamilies)[number]

export interface ModelInfo {
  /** The name the user wrote (alias resolved for display, e.g. `sentence-transformers/all-MiniLM-L6-v2`). */
  readonly name: string
  /** `name@dtype`: the vector-space identity recorded in every collection. */
  readonly identity: string
  readonly family: ModelFamily
  readonly dimensions: number
  /** Longest input in tokens (special tokens included); longer inputs are truncated. */
  readonly maxTokens: number
  readonly pooling: Pooling
  readonly normalize: boolean
  readonly dtype: Dtype
  readonly device: ResolvedDevice
  /** Where the files were loaded from. */
  readonly location: string
}

export interface Embedding {
  readonly vector: Float32Array
  /** Tokens the input has before truncation, special tokens included. */
  readonly inputTokens: number
  readonly truncated: boolean
}

/** Decoded pixels, row-major RGB (3 channels, 8 bits), as content/images.ts produces them. */
export interface DecodedImage {
  readonly data: Uint8Array
  readonly width: number
  readonly height: number
}

/**
 * Told when texts wait for shared inference capacity (queued behind other tasks' texts) and when
 * their inference starts. The worker stops a task's timeout clock in between (issue 11).
 */
export interface InferenceQueueObserver {
  waiting(): void
  running(): void
}

export interface EmbedOptions extends Signal {
  /** A manager that cannot tell when the texts start never calls it: the wait then counts as work. */
  readonly queue?: InferenceQueueObserver
}

export interface Embedder {
  readonly info: ModelInfo
  embed(texts: readonly string[], opts: EmbedOptions): Promise<Embedding[]>
  /**
   * Tokens each text has with this model's own tokenizer (special tokens included, before
   * truncation), counted in the inference thread without running the model. Document chunking
   * by tokens uses it.
   */
  countTokens(texts: readonly string[], opts: Signal): Promise<number[]>
  /** CLIP models only: image vectors in the same space as `embed`'s text vectors. */
  embedImages?(images: readonly DecodedImage[], opts: Signal): Promise<Float32Array[]>
}

/** What a ModelManager tells observers (Prometheus metrics); every method is optional to call. */
export interface ModelEvents {
  loaded(info: ModelInfo, stats: { readonly loadMs: number; readonly memoryBytes: number }): void
  unloaded(identity: string): void
  /** One inference batch: items, padded tokens and its duration. */
  batch(event: {
    readonly model: string
    readonly items: number
    readonly tokens: number
    readonly ms: number
  }): void
}

export interface ModelManager {
  /** Loads the model on first use (the default when `name` is undefined); `unknown_model` if none. */
  get(name: string | undefined, opts: Signal): Promise<Embedder>
  loaded(): readonly ModelInfo[]
  close(): Promise<void>
}
