/**
 * Qdrant filter semantics for the stand-in (qdrant-standin.ts), as Qdrant documents them: a key is
 * a dot path into the payload, arrays on the way are flattened and a condition holds when any value
 * found satisfies it; `match.value` compares with the value's own JSON type (keyword, integer or
 * bool); `range` holds for numbers only; `must` all, `must_not` none, `should` at least one.
 * Conditions the stand-in does not implement throw Unsupported rather than guess.
 */
export class Unsupported extends Error {}

type Json = Record<string, unknown>

export interface StoredPoint {
  readonly id: string | number
  vector: number[]
  payload: Json
  version: number
}

/** Every value at `key` (a dot path; `[]` suffixes are accepted and arrays flattened). */
export function valuesAt(payload: unknown, key: string): unknown[] {
  let values: unknown[] = [payload]
  for (const part of key.split('.')) {
    const name = part.replace(/\[\]$/, '')
    values = values.flatMap((v): unknown[] => (Array.isArray(v) ? v : [v]))
    values = values.flatMap((v) =>
      typeof v === 'object' && v !== null && Object.hasOwn(v, name) ? [(v as Json)[name]] : [],
    )
  }
  return values.flatMap((v): unknown[] => (Array.isArray(v) ? v : [v]))
}

const bounds = {
  gt: (v: number, b: number) => v > b,
  gte: (v: number, b: number) => v >= b,
  lt: (v: number, b: number) => v < b,
  lte: (v: number, b: number) => v <= b,
} as const

function matches(match: Json, values: unknown[]): boolean {
  if ('value' in match) return values.some((v) => v === match.value)
  if (Array.isArray(match.any)) return values.some((v) => (match.any as unknown[]).includes(v))
  throw new Unsupported(`match ${JSON.stringify(match)}`)
}

function inRange(range: Json, values: unknown[]): boolean {
  return values.some(
    (v) =>
      typeof v === 'number' &&
      Object.entries(bounds).every(([op, test]) => {
        const bound = range[op]
        return bound === undefined || bound === null || test(v, bound as number)
      }),
  )
}

function condition(c: Json, point: StoredPoint): boolean {
  if ('must' in c || 'must_not' in c || 'should' in c) return holds(c, point)
  if ('has_id' in c) return (c.has_id as unknown[]).includes(point.id)
  if (typeof c.key !== 'string') throw new Unsupported(`condition ${JSON.stringify(c)}`)
  const values = valuesAt(point.payload, c.key)
  if (typeof c.match === 'object' && c.match !== null) return matches(c.match as Json, values)
  if (typeof c.range === 'object' && c.range !== null) return inRange(c.range as Json, values)
  throw new Unsupported(`field condition ${JSON.stringify(c)}`)
}

function list(value: unknown): Json[] {
  if (value === undefined || value === null) return []
  return (Array.isArray(value) ? value : [value]) as Json[]
}

/** Whether `point` satisfies `filter` (undefined or null: every point does). */
export function holds(filter: Json | null | undefined, point: StoredPoint): boolean {
  if (filter === undefined || filter === null) return true
  if ('min_should' in filter && filter.min_should !== null) throw new Unsupported('min_should')
  const should = list(filter.should)
  return (
    list(filter.must).every((c) => condition(c, point)) &&
    !list(filter.must_not).some((c) => condition(c, point)) &&
    (should.length === 0 || should.some((c) => condition(c, point)))
  )
}
