/**
 * FilterCondition[] → a LanceDB SQL predicate over the term columns of lancedb-schema.ts.
 *
 * Filter fields and values come from users, so nothing user-supplied is ever spliced into SQL
 * unchecked: field names must match FIELD_PATTERN (and so cannot contain quotes, `=` or spaces),
 * string values only ever appear inside single-quoted literals with `'` doubled (DataFusion's SQL
 * strings do not interpret backslashes, checked on 0.31), and numbers are finite and written in
 * exponent form so even 1e21 or 2^64 parses as a float literal rather than an overflowing integer.
 *
 * `ne` means "not equal", so it also matches records that lack the field: `NOT (eq)`.
 */
import { VectorizeError } from '../worker/errors.ts'
import { filterOps, type FilterCondition } from './store.ts'

/** Top-level metadata fields that can be filtered on; lancedb-schema.ts indexes only these. */
export const FIELD_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/

/** A single-quoted SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

/** A float SQL literal; throws for NaN and ±Infinity, which SQL cannot express. */
export function sqlNumber(value: number): string {
  if (!Number.isFinite(value))
    throw rejected(`filter value ${String(value)} is not a finite number`)
  return value.toExponential()
}

/** The SQL for a record's number under `field`, NULL when the record has no such number. */
function numberOf(field: string): string {
  return `array_element(meta_num_vals, CAST(array_position(meta_num_keys, ${sqlString(field)}) AS BIGINT))`
}

/** The term a string or boolean value is indexed under; see lancedb-schema.ts. */
export function term(field: string, value: string | boolean): string {
  return `${field}=${String(value)}`
}

const comparators = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const

function equality(condition: FilterCondition): string {
  const { field, value } = condition
  if (typeof value === 'number') return `coalesce(${numberOf(field)} = ${sqlNumber(value)}, false)`
  const column = typeof value === 'boolean' ? 'meta_bool' : 'meta_str'
  return `array_has(${column}, ${sqlString(term(field, value))})`
}

function condition(c: FilterCondition): string {
  if (!FIELD_PATTERN.test(c.field)) {
    throw rejected(`filter field ${JSON.stringify(c.field)} must match ${String(FIELD_PATTERN)}`)
  }
  const type = typeof c.value
  if (type !== 'string' && type !== 'number' && type !== 'boolean') {
    throw rejected(`filter value for ${c.field} must be a string, number or boolean`)
  }
  switch (c.op) {
    case 'eq':
      return equality(c)
    case 'ne':
      return `NOT ${equality(c)}`
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (typeof c.value !== 'number') {
        throw rejected(`filter op ${c.op} on ${c.field} needs a number, got ${typeof c.value}`)
      }
      return `${numberOf(c.field)} ${comparators[c.op]} ${sqlNumber(c.value)}`
    default:
      throw rejected(`filter op ${JSON.stringify(c.op)} is not one of ${filterOps.join(', ')}`)
  }
}

/** The WHERE clause for ANDed conditions, or undefined when there are none. */
export function toWhere(filter: readonly FilterCondition[] | undefined): string | undefined {
  if (filter === undefined || filter.length === 0) return undefined
  return filter.map((c) => `(${condition(c)})`).join(' AND ')
}

function rejected(message: string): VectorizeError {
  return new VectorizeError('store_rejected', message)
}
