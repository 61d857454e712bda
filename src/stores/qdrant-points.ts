/**
 * VectorRecord ⇄ Qdrant point (and back as StoredRecord or SearchHit), and how points are cut into
 * requests.
 *
 * Point ids: Qdrant accepts only unsigned integers and UUIDs. The worker's ids are UUIDv5
 * (worker/ids.ts) and are used as they are (lower-cased, as Qdrant returns them); any other id is
 * mapped to a UUIDv5 of itself, so every id stays idempotent. The record's own id is also kept in
 * the payload (`id`) and is what search returns.
 *
 * Payload: `id`, `task_id`, `document_id` (keyword index), `chunk_index` (integer index), `text`
 * and `metadata` (the record's metadata object; filters address `metadata.<field>`).
 */
import { v5 as uuidv5 } from 'uuid'
import { splitRecords, toNumbers } from './records.ts'
import type { CollectionSpec, SearchHit, StoredRecord, VectorRecord } from './store.ts'

/** Namespace of ids that are not UUIDs already; changing it would re-key such points. */
const POINT_ID_NAMESPACE = '2b0f7d3e-58c1-4f0a-9a8e-3c6d2e1f7b45'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** `{"points":[` + `]}`: what a request adds around its points. */
const ENVELOPE_BYTES = 13

export interface QdrantPoint {
  readonly id: string
  readonly vector: number[]
  readonly payload: Record<string, unknown>
}

/** A point ready to send, with its index in the caller's batch and its JSON size. */
export interface Prepared {
  readonly index: number
  readonly point: QdrantPoint
  readonly bytes: number
}

export function pointId(id: string): string {
  return UUID.test(id) ? id.toLowerCase() : uuidv5(id, POINT_ID_NAMESPACE)
}

function toPoint(record: VectorRecord): QdrantPoint {
  return {
    id: pointId(record.id),
    vector: toNumbers(record.vector),
    payload: {
      id: record.id,
      task_id: record.taskId,
      document_id: record.documentId,
      chunk_index: record.chunkIndex,
      text: record.text,
      metadata: record.metadata,
    },
  }
}

/** Points to send with their JSON size, and per-record failures (records.ts splitRecords). */
export function preparePoints(records: readonly VectorRecord[], spec: CollectionSpec) {
  const { writes: points, failed } = splitRecords(records, spec, (record, index) => {
    const point = toPoint(record)
    const bytes = Buffer.byteLength(JSON.stringify(point)) + 1
    return { key: point.id, value: { index, point, bytes } satisfies Prepared }
  })
  return { points, failed }
}

/**
 * Cuts points into requests of at most `maxCount` points and `maxBytes` bytes of JSON. A point
 * larger than `maxBytes` on its own goes alone: the server decides, and its refusal is reported
 * for that point only.
 */
export function cutBatches(
  points: readonly Prepared[],
  maxCount: number,
  maxBytes: number,
): Prepared[][] {
  const batches: Prepared[][] = []
  let current: Prepared[] = []
  let bytes = ENVELOPE_BYTES
  for (const p of points) {
    if (current.length > 0 && (current.length >= maxCount || bytes + p.bytes > maxBytes)) {
      batches.push(current)
      current = []
      bytes = ENVELOPE_BYTES
    }
    current.push(p)
    bytes += p.bytes
  }
  if (current.length > 0) batches.push(current)
  return batches
}

interface QdrantRecord {
  readonly id: string | number
  readonly payload?: Record<string, unknown> | null
}

interface ScoredPoint extends QdrantRecord {
  readonly score: number
}

/** A point read back (retrieve or query) as the record it was written from, less the vector. */
export function toStored(point: QdrantRecord): StoredRecord {
  const payload = point.payload ?? {}
  const metadata = payload.metadata
  return {
    id: typeof payload.id === 'string' ? payload.id : String(point.id),
    documentId: typeof payload.document_id === 'string' ? payload.document_id : '',
    chunkIndex: typeof payload.chunk_index === 'number' ? payload.chunk_index : 0,
    taskId: typeof payload.task_id === 'string' ? payload.task_id : '',
    text: typeof payload.text === 'string' ? payload.text : '',
    metadata:
      typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)
        ? (metadata as Record<string, unknown>)
        : {},
  }
}

/** A search hit; Qdrant scores Euclid by distance (lower is closer), the contract by similarity. */
export function toHit(point: ScoredPoint, spec: CollectionSpec): SearchHit {
  return { ...toStored(point), score: spec.distance === 'euclidean' ? -point.score : point.score }
}
