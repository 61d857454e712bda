/**
 * VectorStore: where vectors and their metadata live. One implementation per vendor next to this
 * file (lancedb.ts, weaviate.ts, qdrant.ts); every one passes test/stores/contract.ts.
 *
 * Errors: implementations throw VectorizeError only — `store_unavailable` (retriable) for
 * connection/timeout/5xx, `dimension_mismatch`/`model_mismatch` for a collection created
 * differently, `store_rejected` for a request the store refuses as invalid.
 */
import type { Signal } from '../worker/types.ts'

export const distances = ['cosine', 'dot', 'euclidean'] as const
export type Distance = (typeof distances)[number]

export interface CollectionSpec {
  readonly name: string
  readonly dimensions: number
  readonly distance: Distance
  /** Model identity `name@dtype`: vectors of two identities never share a collection. */
  readonly model: string
}

export interface CollectionInfo extends CollectionSpec {
  readonly count: number
}

/** A vector and what it was made from. `id` is deterministic (worker/ids.ts). */
export interface VectorRecord {
  readonly id: string
  readonly vector: Float32Array
  readonly taskId: string
  /** Business id of the item or document this vector belongs to. */
  readonly documentId: string
  readonly chunkIndex: number
  readonly text: string
  /** JSON-safe, prototype-free metadata (validated upstream). */
  readonly metadata: Readonly<Record<string, unknown>>
}

/** A stored record as `fetch` reads it back: everything but the vector. */
export type StoredRecord = Omit<VectorRecord, 'vector'>

export interface UpsertFailure {
  readonly index: number
  readonly id: string
  readonly reason: string
}

/** Per-object outcome: objects not listed in `failed` were written and acknowledged. */
export interface UpsertResult {
  readonly failed: readonly UpsertFailure[]
}

export const filterOps = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'] as const
export type FilterOp = (typeof filterOps)[number]

/** One condition on a top-level metadata field; conditions are ANDed. */
export interface FilterCondition {
  readonly field: string
  readonly op: FilterOp
  readonly value: string | number | boolean
}

export interface SearchQuery {
  readonly vector: Float32Array
  readonly k: number
  readonly filter?: readonly FilterCondition[]
}

export interface SearchHit {
  readonly id: string
  /** Similarity: higher is closer (cosine similarity for cosine collections). */
  readonly score: number
  readonly documentId: string
  readonly chunkIndex: number
  readonly taskId: string
  readonly text: string
  readonly metadata: Readonly<Record<string, unknown>>
}

export interface VectorStore {
  readonly kind: string
  /** Creates the collection if missing; throws `dimension_mismatch`/`model_mismatch` if it differs. */
  ensureCollection(spec: CollectionSpec, opts: Signal): Promise<void>
  /** Idempotent by `id`: writing the same id twice leaves one object. */
  upsert(collection: string, records: readonly VectorRecord[], opts: Signal): Promise<UpsertResult>
  /** Deletes a document's vectors with `chunkIndex >= fromChunk` (0: all of them). Returns how many. */
  deleteDocument(
    collection: string,
    documentId: string,
    fromChunk: number,
    opts: Signal,
  ): Promise<number>
  search(collection: string, query: SearchQuery, opts: Signal): Promise<SearchHit[]>
  /**
   * The records stored under these ids, without vectors; ids not stored are absent. A missing
   * collection gives []. Results follow the order of `ids`, each stored id once (a repeated id
   * is returned at its first position). Any number of ids: adapters read them in bounded pieces
   * (`FETCH_PIECE` ids per request, records.ts).
   */
  fetch(collection: string, ids: readonly string[], opts: Signal): Promise<StoredRecord[]>
  count(collection: string, opts: Signal): Promise<number>
  /** Every collection this store holds, with its spec and count. */
  collections(opts: Signal): Promise<CollectionInfo[]>
  /** Resolves when the store answers; throws `store_unavailable` otherwise. */
  health(opts: Signal): Promise<void>
  close(): Promise<void>
}
