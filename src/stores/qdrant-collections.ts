/**
 * CollectionSpec ⇄ Qdrant collection. Size and distance are the collection's vector parameters;
 * the model identity is kept in the collection's own `metadata` (a CreateCollection field since
 * Qdrant 1.16, returned in `config.metadata`), so it lives and dies with the collection and needs
 * no marker point that searches, counts and deletes would have to step around.
 */
import { VectorizeError } from '../worker/errors.ts'
import type { CollectionSpec, Distance } from './store.ts'

const toQdrant = { cosine: 'Cosine', dot: 'Dot', euclidean: 'Euclid' } as const
type QdrantDistance = (typeof toQdrant)[Distance]
const fromQdrant: Readonly<Record<string, Distance>> = {
  Cosine: 'cosine',
  Dot: 'dot',
  Euclid: 'euclidean',
}

/** Index types a metadata field can have: what vectorize's filters match (qdrant-filter.ts). */
export const payloadIndexTypes = ['keyword', 'integer', 'float', 'bool'] as const
export type PayloadIndexType = (typeof payloadIndexTypes)[number]

/** A metadata field a deployment filters on (`vector_databases.qdrant.payload_indexes`). */
export interface PayloadIndexSetting {
  readonly field: string
  readonly type: PayloadIndexType
}

export interface PayloadIndex {
  readonly field_name: string
  readonly field_schema: PayloadIndexType
}

/** Payload indexes every vectorize collection has: deleteDocument filters on both. */
const ownIndexes: readonly PayloadIndex[] = [
  { field_name: 'document_id', field_schema: 'keyword' },
  { field_name: 'chunk_index', field_schema: 'integer' },
]

/**
 * The payload indexes of a collection: its own, and one per configured metadata field (filters
 * address `metadata.<field>`), so a filtered search uses an index instead of scanning.
 */
export function payloadIndexes(fields: readonly PayloadIndexSetting[]): PayloadIndex[] {
  const configured = fields.map((f) => ({
    field_name: `metadata.${f.field}`,
    field_schema: f.type,
  }))
  return [...ownIndexes, ...configured]
}

/** The body of `PUT /collections/{name}`. */
export function createBody(spec: CollectionSpec): {
  vectors: { size: number; distance: QdrantDistance }
  metadata: { vectorize: { model: string; format: number } }
} {
  return {
    vectors: { size: spec.dimensions, distance: toQdrant[spec.distance] },
    metadata: { vectorize: { model: spec.model, format: 1 } },
  }
}

/** The parts of Qdrant's CollectionInfo this adapter reads. */
export interface CollectionInfoLike {
  readonly config: {
    readonly params: { readonly vectors?: unknown }
    readonly metadata?: unknown
  }
  readonly payload_schema: Readonly<Record<string, unknown>>
}

function foreign(name: string, why: string): VectorizeError {
  return new VectorizeError(
    'store_rejected',
    `collection ${name} was not created by vectorize (${why})`,
    { details: { collection: name } },
  )
}

function modelOf(metadata: unknown): string | undefined {
  if (typeof metadata !== 'object' || metadata === null) return undefined
  const own = (metadata as { vectorize?: unknown }).vectorize
  if (typeof own !== 'object' || own === null) return undefined
  const model = (own as { model?: unknown }).model
  return typeof model === 'string' && model !== '' ? model : undefined
}

/** The spec a collection was created with; throws store_rejected for a foreign collection. */
export function specOf(name: string, info: CollectionInfoLike): CollectionSpec {
  const vectors = info.config.params.vectors as { size?: unknown; distance?: unknown } | undefined
  if (typeof vectors?.size !== 'number' || typeof vectors.distance !== 'string') {
    throw foreign(name, 'it has no single unnamed vector')
  }
  const distance = fromQdrant[vectors.distance]
  if (distance === undefined) throw foreign(name, `distance ${vectors.distance} is not supported`)
  const model = modelOf(info.config.metadata)
  // A server older than 1.16 drops the metadata, so every collection would read as foreign.
  if (model === undefined) throw foreign(name, 'no model identity in its metadata; Qdrant >= 1.16')
  return { name, dimensions: vectors.size, distance, model }
}

/**
 * Payload indexes the collection lacks: all of them right after creating it, the ones configured
 * since (or lost to a crash between creating and indexing) on an existing one.
 */
export function missingIndexes(info: CollectionInfoLike, wanted: readonly PayloadIndex[]) {
  return wanted.filter((index) => !(index.field_name in info.payload_schema))
}

/** Indexes that exist with another type than configured (left as they are; the caller warns). */
export function mistypedIndexes(info: CollectionInfoLike, wanted: readonly PayloadIndex[]) {
  return wanted.flatMap((index) => {
    const found = info.payload_schema[index.field_name] as { data_type?: unknown } | undefined
    const type = found?.data_type
    return found === undefined || type === index.field_schema ? [] : [{ ...index, found: type }]
  })
}
