/**
 * The Arrow layout of a vectorize collection in LanceDB, and the conversions between VectorRecord,
 * table row, SearchHit and StoredRecord.
 *
 * Metadata is arbitrary JSON per record, but LanceDB 0.31 cannot filter it as JSON from Node: a
 * Utf8 column is rejected by `json_extract`/`json_get_*`, and a `lance.json` column cannot be
 * appended to from Node ("should have type json but type was large_binary", lancedb#4062, #3144).
 * So the full metadata is kept as a JSON string (`metadata`, for restoring) and its top-level
 * scalars are copied into typed term columns that SQL can filter inside the vector search:
 *   meta_str  List<Utf8>  `field=value` for strings   → array_has(meta_str, 'lang=en')
 *   meta_bool List<Utf8>  `field=true|false`         → array_has(meta_bool, 'ok=true')
 *   meta_num_keys List<Utf8> + meta_num_vals List<Float64>, parallel, for numbers
 *             → array_element(meta_num_vals, array_position(meta_num_keys, 'n')) > 5 (the
 *               position cast to BIGINT: array_element rejects array_position's UInt64 on 0.31)
 * Only fields matching FIELD_PATTERN are indexed (no `=` in a field, so terms are unambiguous);
 * nested objects and arrays are stored but not filterable. Lists are never NULL (empty instead),
 * so `NOT array_has(...)` is true for a record that lacks the field.
 */
import {
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int32,
  List,
  Schema,
  Utf8,
  type DataType,
} from 'apache-arrow'
import {
  distances,
  type CollectionSpec,
  type Distance,
  type SearchHit,
  type StoredRecord,
  type VectorRecord,
} from './store.ts'
import { FIELD_PATTERN, term } from './lancedb-filter.ts'
import { parseMetadata } from './records.ts'

/**
 * The collection spec lives in the table's Arrow schema metadata under this key. It is written by
 * the same commit that creates the table, so a table never exists without its spec (a sidecar
 * file would take a second write that a crash can lose, and would not travel with the table
 * directory); checked to survive mergeInsert, delete and reopening on 0.31.
 */
export const SPEC_KEY = 'vectorize.collection'
const SPEC_FORMAT = 1

/** The columns a search reads back (never the vector or the term columns). */
export const hitColumns = [
  'id',
  'document_id',
  'chunk_index',
  'task_id',
  'text',
  'metadata',
] as const

export interface Row {
  id: string
  vector: Float32Array
  document_id: string
  chunk_index: number
  task_id: string
  text: string
  metadata: string
  meta_str: string[]
  meta_bool: string[]
  meta_num_keys: string[]
  meta_num_vals: number[]
}

function field(name: string, type: DataType, nullable = false): Field {
  return new Field(name, type, nullable)
}

function listOf(type: DataType): List {
  return new List(new Field('item', type, true))
}

export function toSchema(spec: CollectionSpec): Schema {
  const { dimensions, distance, model } = spec
  const meta = JSON.stringify({ format: SPEC_FORMAT, dimensions, distance, model })
  const vector = new FixedSizeList(dimensions, new Field('item', new Float32(), true))
  return new Schema(
    [
      field('id', new Utf8()),
      field('vector', vector),
      field('document_id', new Utf8()),
      field('chunk_index', new Int32()),
      field('task_id', new Utf8()),
      field('text', new Utf8()),
      field('metadata', new Utf8()),
      field('meta_str', listOf(new Utf8())),
      field('meta_bool', listOf(new Utf8())),
      field('meta_num_keys', listOf(new Utf8())),
      field('meta_num_vals', listOf(new Float64())),
    ],
    new Map([[SPEC_KEY, meta]]),
  )
}

/** The spec recorded in a table's schema, or undefined for a table vectorize did not create. */
export function specOf(name: string, schema: Schema): CollectionSpec | undefined {
  const raw = schema.metadata.get(SPEC_KEY)
  if (raw === undefined) return undefined
  let parsed: { dimensions?: unknown; distance?: unknown; model?: unknown }
  try {
    parsed = JSON.parse(raw) as typeof parsed
  } catch {
    return undefined
  }
  const { dimensions, distance, model } = parsed
  if (typeof dimensions !== 'number' || typeof model !== 'string') return undefined
  if (!distances.includes(distance as Distance)) return undefined
  return { name, dimensions, distance: distance as Distance, model }
}

type Terms = Pick<Row, 'meta_str' | 'meta_bool' | 'meta_num_keys' | 'meta_num_vals'>

function terms(metadata: Readonly<Record<string, unknown>>): Terms {
  const row: Terms = { meta_str: [], meta_bool: [], meta_num_keys: [], meta_num_vals: [] }
  for (const [key, value] of Object.entries(metadata)) {
    if (!FIELD_PATTERN.test(key)) continue
    if (typeof value === 'string') row.meta_str.push(term(key, value))
    else if (typeof value === 'boolean') row.meta_bool.push(term(key, value))
    else if (typeof value === 'number' && Number.isFinite(value)) {
      row.meta_num_keys.push(key)
      row.meta_num_vals.push(value)
    }
  }
  return row
}

/** A valid record as a table row; throws if its metadata cannot be serialised. */
export function toRow(record: VectorRecord): Row {
  const metadata = JSON.stringify(record.metadata ?? {})
  return {
    id: record.id,
    vector: record.vector,
    document_id: record.documentId,
    chunk_index: record.chunkIndex,
    task_id: record.taskId,
    text: record.text,
    metadata,
    ...terms(record.metadata ?? {}),
  }
}

/** LanceDB distance names, and how a `_distance` becomes a higher-is-closer score. */
export const lanceDistance = { cosine: 'cosine', dot: 'dot', euclidean: 'l2' } as const

/** What a search reads back for each hit: the `hitColumns` plus LanceDB's `_distance`. */
export type HitRow = Pick<Row, (typeof hitColumns)[number]> & { _distance: number }

export function toHit(row: HitRow, distance: Distance): SearchHit {
  return { ...toStored(row), score: toScore(distance, row._distance) }
}

/** What `fetch` reads back for each record: the `hitColumns`. */
export type StoredRow = Pick<Row, (typeof hitColumns)[number]>

export function toStored(row: StoredRow): StoredRecord {
  return {
    id: row.id,
    taskId: row.task_id,
    documentId: row.document_id,
    chunkIndex: row.chunk_index,
    text: row.text,
    metadata: parseMetadata(row.metadata),
  }
}

function toScore(distance: Distance, d: number): number {
  switch (distance) {
    case 'cosine': // cosine distance is 1 - cos
    case 'dot': // Lance's dot "distance" is 1 - a·b (checked on 0.31), so this is a·b
      return 1 - d
    case 'euclidean': // Lance's l2 is the squared distance; the score is the negated distance
      return -Math.sqrt(d)
  }
}
