/**
 * FilterCondition[] → a Qdrant filter on `metadata.<field>` of the payload (qdrant-points.ts).
 *
 * Values keep their JSON type: strings and booleans use `match` (Qdrant matches a keyword only
 * against strings and a bool only against booleans), numbers use a closed `range`, which matches
 * numbers only (never the string "5") and floats as well as integers. `ne` is `must_not` of the
 * equality, so records without the field match it too. Field names must match FIELD_PATTERN, so a
 * user-supplied name can never reach into another key path.
 */
import { VectorizeError } from '../worker/errors.ts'
import { filterOps, type FilterCondition } from './store.ts'

/** Top-level metadata fields that can be filtered on (no dots: a dot would be a nested path). */
export const FIELD_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/

export interface FieldCondition {
  readonly key: string
  readonly match?: { readonly value: string | boolean }
  readonly range?: Readonly<Partial<Record<'gt' | 'gte' | 'lt' | 'lte', number>>>
}

export interface QdrantFilter {
  readonly must?: FieldCondition[]
  readonly must_not?: FieldCondition[]
}

function rejected(message: string): VectorizeError {
  return new VectorizeError('store_rejected', message)
}

function finite(c: FilterCondition): number {
  if (typeof c.value !== 'number') {
    throw rejected(`filter op ${c.op} on ${c.field} needs a number, got ${typeof c.value}`)
  }
  if (!Number.isFinite(c.value)) {
    throw rejected(`filter value ${String(c.value)} for ${c.field} is not a finite number`)
  }
  return c.value
}

function equality(key: string, c: FilterCondition): FieldCondition {
  if (typeof c.value === 'number') {
    const value = finite(c)
    return { key, range: { gte: value, lte: value } }
  }
  return { key, match: { value: c.value } }
}

/** Adds one condition to `must` or `must_not`; throws store_rejected for anything invalid. */
function add(c: FilterCondition, must: FieldCondition[], mustNot: FieldCondition[]): void {
  if (typeof c.field !== 'string' || !FIELD_PATTERN.test(c.field)) {
    throw rejected(`filter field ${JSON.stringify(c.field)} must match ${String(FIELD_PATTERN)}`)
  }
  const type = typeof c.value
  if (type !== 'string' && type !== 'number' && type !== 'boolean') {
    throw rejected(`filter value for ${c.field} must be a string, number or boolean`)
  }
  const key = `metadata.${c.field}`
  switch (c.op) {
    case 'eq':
      must.push(equality(key, c))
      return
    case 'ne':
      mustNot.push(equality(key, c))
      return
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      must.push({ key, range: { [c.op]: finite(c) } })
      return
    default:
      throw rejected(`filter op ${JSON.stringify(c.op)} is not one of ${filterOps.join(', ')}`)
  }
}

/** The Qdrant filter for ANDed conditions, or undefined when there are none. */
export function toQdrantFilter(
  filter: readonly FilterCondition[] | undefined,
): QdrantFilter | undefined {
  if (filter === undefined || filter.length === 0) return undefined
  const must: FieldCondition[] = []
  const mustNot: FieldCondition[] = []
  for (const c of filter) add(c, must, mustNot)
  return {
    ...(must.length > 0 ? { must } : {}),
    ...(mustNot.length > 0 ? { must_not: mustNot } : {}),
  }
}

/** A document's chunks from `fromChunk` on: what deleteDocument removes. */
export function documentTail(documentId: string, fromChunk: number): QdrantFilter {
  return {
    must: [
      { key: 'document_id', match: { value: documentId } },
      { key: 'chunk_index', range: { gte: fromChunk } },
    ],
  }
}
