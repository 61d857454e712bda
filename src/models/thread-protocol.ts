/** Messages between the main thread (pool.ts) and the inference thread (thread.ts). */
import type { ErrorCode } from '../worker/errors.ts'
import type { DecodedImage, Dtype, ModelFamily, Pooling, ResolvedDevice } from './embedder.ts'

export interface LoadSpec {
  readonly key: string
  readonly root: string
  readonly repo: string
  readonly family: ModelFamily
  readonly pooling: Pooling
  readonly normalize: boolean
  readonly dtype: Dtype
  readonly device: ResolvedDevice
  readonly threads: number
  readonly allowSpinning: boolean
  readonly allowRemote: boolean
  readonly cacheDir: string
  readonly maxBatchTokens: number
  readonly maxBatchWaitMs: number
  /** A catalog limit below the tokenizer's (sentence-transformers `max_seq_length`). */
  readonly maxTokens?: number
}

export interface LoadedModel {
  readonly dimensions: number
  readonly maxTokens: number
  readonly device: ResolvedDevice
  /** Set when the requested device failed and the model runs on cpu instead. */
  readonly fallbackReason?: string
  readonly loadMs: number
  /** Resident memory the process grew by while loading (approximate: other work blurs it). */
  readonly memoryBytes: number
}

export interface EmbedOutput {
  /** `count × dimensions` values, row-major. */
  readonly vectors: Float32Array
  readonly dimensions: number
  readonly inputTokens: Int32Array
  readonly truncated: Uint8Array
}

export interface ImageOutput {
  /** `count × dimensions` values, row-major. */
  readonly vectors: Float32Array
  readonly dimensions: number
}

export type ThreadRequest =
  | { readonly op: 'load'; readonly id: number; readonly spec: LoadSpec }
  | {
      readonly op: 'embed'
      readonly id: number
      readonly key: string
      readonly texts: readonly string[]
    }
  | {
      readonly op: 'embedImages'
      readonly id: number
      readonly key: string
      readonly images: readonly DecodedImage[]
    }
  | {
      readonly op: 'countTokens'
      readonly id: number
      readonly key: string
      readonly texts: readonly string[]
    }
  | { readonly op: 'unload'; readonly id: number; readonly key: string }
  | { readonly op: 'cancel'; readonly id: number }
  | { readonly op: 'configure'; readonly id: number; readonly maxBatchTokens: number }
  /** Ends the thread from inside, between two ONNX runs (see InferenceThread.close). */
  | { readonly op: 'exit'; readonly id: number }

/** Whether it is retried follows from the code (errorTable). */
export interface ThreadError {
  readonly code: ErrorCode
  readonly message: string
  readonly details?: Record<string, unknown>
}

export type ThreadResponse =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: ThreadError }

/** Sent by the thread after every inference batch: progress for the watchdog, sizes for metrics. */
export interface BatchEvent {
  readonly event: 'batch'
  readonly key: string
  readonly items: number
  /** Padded tokens (items × longest input). */
  readonly tokens: number
  readonly ms: number
}

/** The replies one inference batch completed, sent together. */
export interface ThreadReplies {
  readonly replies: readonly ThreadResponse[]
}

/** Sent before a batch runs: the embed requests whose first texts are in it (their wait is over). */
export interface RunningEvent {
  readonly event: 'running'
  readonly ids: readonly number[]
}

export type ThreadMessage = ThreadResponse | ThreadReplies | BatchEvent | RunningEvent
