/**
 * FilterCondition[] → a weaviate-client filter over the typed metadata properties of
 * weaviate-schema.ts. Semantics match the other stores (test/stores/contract-filters.ts): a value
 * matches only its own JSON type, `ne` is `not(eq)` and so also matches records without the field,
 * ranges only match numbers, conditions are ANDed. Values travel as typed gRPC filter values, never
 * as query text, so quotes or operators in them are plain data.
 *
 * A field's property exists only once some record carried it with that type. A condition on a
 * property the class lacks cannot match (eq, ranges) or always matches (ne), so it is resolved
 * here instead of being sent (Weaviate rejects filters on unknown properties).
 */
import { Filters, type Filter, type FilterValue, type Properties } from 'weaviate-client'
import { VectorizeError } from '../worker/errors.ts'
import { filterOps, type FilterCondition } from './store.ts'
import { FIELD_PATTERN } from './lancedb-filter.ts'
import { fieldProperty, MAX_FIELD_LENGTH } from './weaviate-names.ts'
import { fieldType, NUMBER_SCALE, wrapText } from './weaviate-schema.ts'

/** No filter, a filter, or a filter that can match nothing. */
export type Compiled = { kind: 'all' } | { kind: 'some'; filter: FilterValue } | { kind: 'none' }

type Builder = Filter<Properties>

function check(c: FilterCondition): void {
  if (typeof c.field !== 'string' || !FIELD_PATTERN.test(c.field)) {
    throw rejected(`filter field ${JSON.stringify(c.field)} must match ${String(FIELD_PATTERN)}`)
  }
  if (c.field.length > MAX_FIELD_LENGTH) {
    throw rejected(`filter field ${c.field.slice(0, 20)}… is longer than ${MAX_FIELD_LENGTH}`)
  }
  if (!filterOps.includes(c.op)) {
    throw rejected(`filter op ${JSON.stringify(c.op)} is not one of ${filterOps.join(', ')}`)
  }
  if (fieldType(c.value) === undefined) {
    throw rejected(`filter value for ${c.field} must be a string, finite number or boolean`)
  }
  if (c.op !== 'eq' && c.op !== 'ne' && typeof c.value !== 'number') {
    throw rejected(`filter op ${c.op} on ${c.field} needs a number, got ${typeof c.value}`)
  }
}

function equality(f: Builder, property: string, value: string | number | boolean): FilterValue {
  const p = f.byProperty(property)
  if (typeof value === 'string') return p.equal(wrapText(value))
  if (typeof value === 'number') return p.equal(value * NUMBER_SCALE)
  return p.equal(value)
}

function range(f: Builder, property: string, op: FilterCondition['op'], value: number) {
  const p = f.byProperty(property)
  const v = value * NUMBER_SCALE
  if (op === 'gt') return p.greaterThan(v)
  if (op === 'gte') return p.greaterOrEqual(v)
  if (op === 'lt') return p.lessThan(v)
  return p.lessOrEqual(v)
}

/**
 * Compiles ANDed conditions. `has(property)` tells whether the class has that property; `f` is
 * the collection's filter builder.
 */
export function compileFilter(
  conditions: readonly FilterCondition[] | undefined,
  has: (property: string) => boolean,
  f: Builder,
): Compiled {
  const parts: FilterValue[] = []
  for (const c of conditions ?? []) {
    check(c)
    const property = fieldProperty(c.field, fieldType(c.value)!)
    if (!has(property)) {
      if (c.op === 'ne') continue // no record has this field with this type
      return { kind: 'none' }
    }
    if (c.op === 'eq') parts.push(equality(f, property, c.value))
    else if (c.op === 'ne') parts.push(Filters.not(equality(f, property, c.value)))
    else parts.push(range(f, property, c.op, c.value as number))
  }
  if (parts.length === 0) return { kind: 'all' }
  return { kind: 'some', filter: parts.length === 1 ? parts[0]! : Filters.and(...parts) }
}

function rejected(message: string): VectorizeError {
  return new VectorizeError('store_rejected', message)
}
