/**
 * The Weaviate class of a vectorize collection, and the conversions between VectorRecord, Weaviate
 * object, SearchHit and StoredRecord. Names: weaviate-names.ts.
 *
 * A class has no vectorizer and one (unnamed) HNSW vector index with the collection's distance.
 * Its `description` holds the spec as JSON (`{"vectorize":1,name,dimensions,distance,model}`), so
 * the model identity and dimension travel with the class and a second worker compares against it.
 * Properties: recordId (the record's own id; the object UUID is derived from it, objectId below),
 * taskId, documentId, documentKey, chunkIndex, text, metadata (the whole metadata as JSON, for
 * restoring), and one typed property per top-level scalar metadata field (`ms_`/`mn_`/`mb_` +
 * escaped field name), added to the class when a record first carries that field.
 *
 * Text filters use `field` tokenization, which trims whitespace; so filterable text is stored
 * wrapped in `|…|` (documentKey, ms_*) and `" en"` never matches `"en"`. Numbers are stored scaled
 * by 2^-64, which is exact and keeps order: weaviate-client 3.12 sends an integer filter value as
 * int64 (`valueInt`), which cannot hold 1e21, while a scaled value stays within int64 or is a
 * fraction (sent as a double). Search results are restored from `metadata`, never from these.
 */
import { v5 as uuidv5, validate as isUuid } from 'uuid'
import {
  distances,
  type CollectionSpec,
  type Distance,
  type SearchHit,
  type StoredRecord,
  type VectorRecord,
} from './store.ts'
import { FIELD_PATTERN } from './lancedb-filter.ts'
import { parseMetadata } from './records.ts'
import { className, fieldProperty, MAX_FIELD_LENGTH, type FieldType } from './weaviate-names.ts'

const SPEC_FORMAT = 1
/** Namespace of object UUIDs derived from record ids that are not UUIDs themselves. */
const OBJECT_ID_NAMESPACE = 'c4a7f3de-52b1-5d2e-8f0a-3b6e1d9c7a45'
export const NUMBER_SCALE = 2 ** -64

export const weaviateDistance = { cosine: 'cosine', dot: 'dot', euclidean: 'l2-squared' } as const

/** Properties every search and fetch reads back. */
export const hitProperties = [
  'recordId',
  'taskId',
  'documentId',
  'chunkIndex',
  'text',
  'metadata',
] as const

/** A property as weaviate-client's addProperty takes it (REST wants `dataType: [type]`). */
export interface PropertyDef {
  name: string
  dataType: 'text' | 'int' | 'number' | 'boolean'
  tokenization?: 'field'
  indexFilterable: boolean
  indexSearchable: boolean
  indexRangeFilters?: boolean
}

function textProp(name: string, filterable: boolean): PropertyDef {
  return filterable
    ? {
        name,
        dataType: 'text',
        tokenization: 'field',
        indexFilterable: true,
        indexSearchable: false,
      }
    : { name, dataType: 'text', indexFilterable: false, indexSearchable: false }
}

/** The class definition sent to POST /v1/schema. */
export function classDefinition(spec: CollectionSpec) {
  const { name, dimensions, distance, model } = spec
  return {
    class: className(name),
    description: JSON.stringify({ vectorize: SPEC_FORMAT, name, dimensions, distance, model }),
    vectorizer: 'none',
    vectorIndexType: 'hnsw',
    vectorIndexConfig: { distance: weaviateDistance[distance] },
    properties: (
      [
        textProp('recordId', false),
        textProp('taskId', true),
        textProp('documentId', false),
        textProp('documentKey', true),
        {
          name: 'chunkIndex',
          dataType: 'int',
          indexFilterable: true,
          indexSearchable: false,
          indexRangeFilters: true,
        },
        textProp('text', false),
        textProp('metadata', false),
      ] satisfies PropertyDef[]
    ).map((p) => ({ ...p, dataType: [p.dataType] })),
  }
}

/** The definition of a metadata field's property. */
export function fieldDefinition(field: string, type: FieldType): PropertyDef {
  const name = fieldProperty(field, type)
  if (type === 'string') return textProp(name, true)
  return type === 'number'
    ? {
        name,
        dataType: 'number',
        indexFilterable: true,
        indexSearchable: false,
        indexRangeFilters: true,
      }
    : { name, dataType: 'boolean', indexFilterable: true, indexSearchable: false }
}

/** The spec recorded in a class description, or undefined for a class vectorize did not create. */
export function specOf(name: string, description: string | undefined): CollectionSpec | undefined {
  let parsed: {
    vectorize?: unknown
    name?: unknown
    dimensions?: unknown
    distance?: unknown
    model?: unknown
  }
  try {
    parsed = JSON.parse(description ?? '') as typeof parsed
  } catch {
    return undefined
  }
  const { vectorize, dimensions, distance, model } = parsed ?? {}
  if (vectorize !== SPEC_FORMAT || parsed.name !== name) return undefined
  if (typeof dimensions !== 'number' || typeof model !== 'string') return undefined
  if (!distances.includes(distance as Distance)) return undefined
  return { name, dimensions, distance: distance as Distance, model }
}

export function wrapText(value: string): string {
  return `|${value}|`
}

export function fieldType(value: unknown): FieldType | undefined {
  if (typeof value === 'string') return 'string'
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'number' && Number.isFinite(value)) return 'number'
  return undefined
}

/** The filterable top-level fields of a record's metadata, with their types. */
export function indexedFields(metadata: Readonly<Record<string, unknown>>): [string, FieldType][] {
  const out: [string, FieldType][] = []
  for (const [key, value] of Object.entries(metadata)) {
    const type = fieldType(value)
    if (type !== undefined && FIELD_PATTERN.test(key) && key.length <= MAX_FIELD_LENGTH) {
      out.push([key, type])
    }
  }
  return out
}

/** The UUID of a record's object: the id itself when it is a UUID (SPEC §4.3 ids are). */
export function objectId(id: string): string {
  return isUuid(id) ? id.toLowerCase() : uuidv5(id, OBJECT_ID_NAMESPACE)
}

/** A valid record's properties; throws if its metadata cannot be serialised. */
export function toProperties(record: VectorRecord): Record<string, string | number | boolean> {
  const metadata = record.metadata ?? {}
  const props: Record<string, string | number | boolean> = {
    recordId: record.id,
    taskId: record.taskId,
    documentId: record.documentId,
    documentKey: wrapText(record.documentId),
    chunkIndex: record.chunkIndex,
    text: record.text,
    metadata: JSON.stringify(metadata),
  }
  for (const [field, type] of indexedFields(metadata)) {
    const value = metadata[field] as string | number | boolean
    props[fieldProperty(field, type)] =
      type === 'string'
        ? wrapText(value as string)
        : type === 'number'
          ? (value as number) * NUMBER_SCALE
          : value
  }
  return props
}

export interface HitObject {
  readonly properties: Readonly<Record<string, unknown>>
  readonly metadata?: { readonly distance?: number }
}

/** An object read back (fetch or search) as the record it was written from, less the vector. */
export function toStored(object: HitObject): StoredRecord {
  const p = object.properties
  return {
    id: String(p.recordId),
    documentId: String(p.documentId),
    chunkIndex: Number(p.chunkIndex),
    taskId: String(p.taskId),
    text: String(p.text),
    metadata: parseMetadata(typeof p.metadata === 'string' ? p.metadata : '{}'),
  }
}

export function toHit(object: HitObject, distance: Distance): SearchHit {
  return { ...toStored(object), score: toScore(distance, object.metadata?.distance ?? Number.NaN) }
}

function toScore(distance: Distance, d: number): number {
  switch (distance) {
    case 'cosine': // Weaviate's cosine distance is 1 - cos
      return 1 - d
    case 'dot': // Weaviate's dot distance is the negated dot product
      return -d
    case 'euclidean': // l2-squared: the score is the negated (plain) distance
      return -Math.sqrt(d)
  }
}
