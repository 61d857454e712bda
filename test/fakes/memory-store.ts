/**
 * An in-memory VectorStore for fast tests of the worker: brute-force search, no files, no server.
 * It passes the same contract suite as LanceDB, Weaviate and Qdrant (test/stores/memory.test.ts),
 * using the adapters' shared argument and record checks (stores/checks.ts, stores/records.ts).
 */
import {
  checkDelete,
  checkFetch,
  checkName,
  checkQuery,
  checkSpec,
  compareSpecs,
} from '../../src/stores/checks.ts'
import { fetchInPieces, splitRecords } from '../../src/stores/records.ts'
import {
  filterOps,
  type CollectionInfo,
  type CollectionSpec,
  type FilterCondition,
  type SearchHit,
  type SearchQuery,
  type StoredRecord,
  type UpsertResult,
  type VectorRecord,
  type VectorStore,
} from '../../src/stores/store.ts'
import { VectorizeError } from '../../src/worker/errors.ts'
import type { Signal } from '../../src/worker/types.ts'

interface Row extends StoredRecord {
  readonly vector: Float32Array
  /** The metadata as JSON: stored rows are copies, never the caller's objects. */
  readonly json: string
}

interface Collection {
  readonly spec: CollectionSpec
  readonly rows: Map<string, Row>
}

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/

export class MemoryStore implements VectorStore {
  readonly kind = 'memory'
  readonly #collections = new Map<string, Collection>()
  #closed = false

  ensureCollection(spec: CollectionSpec, opts: Signal): Promise<void> {
    return this.#op(opts, () => {
      checkSpec(spec)
      const existing = this.#collections.get(spec.name)
      if (existing) compareSpecs(existing.spec, spec)
      else this.#collections.set(spec.name, { spec: { ...spec }, rows: new Map() })
    })
  }

  upsert(collection: string, records: readonly VectorRecord[], opts: Signal) {
    return this.#op(opts, (): UpsertResult => {
      const c = this.#get(collection)
      const { writes, failed } = splitRecords(records, c.spec, (r) => ({
        key: r.id,
        value: { ...r, vector: Float32Array.from(r.vector), json: JSON.stringify(r.metadata) },
      }))
      for (const row of writes) c.rows.set(row.id, row)
      return { failed }
    })
  }

  deleteDocument(collection: string, documentId: string, fromChunk: number, opts: Signal) {
    return this.#op(opts, () => {
      checkDelete(collection, fromChunk)
      const c = this.#get(collection)
      let deleted = 0
      for (const [id, row] of c.rows) {
        if (row.documentId !== documentId || row.chunkIndex < fromChunk) continue
        c.rows.delete(id)
        deleted++
      }
      return deleted
    })
  }

  search(collection: string, query: SearchQuery, opts: Signal) {
    return this.#op(opts, (): SearchHit[] => {
      const c = this.#get(collection)
      checkQuery(c.spec, query)
      const filter = (query.filter ?? []).map(checkCondition)
      return [...c.rows.values()]
        .filter((row) => filter.every((f) => matches(JSON.parse(row.json) as Meta, f)))
        .map((row) => ({ row, score: score(c.spec, query.vector, row.vector) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, query.k)
        .map(({ row, score }) => ({ ...stored(row), score }))
    })
  }

  async fetch(collection: string, ids: readonly string[], opts: Signal) {
    await this.#op(opts, () => checkFetch(collection, ids))
    return fetchInPieces(ids, opts.signal, (piece) => {
      const c = this.#collections.get(collection)
      if (!c) return Promise.resolve(undefined)
      return Promise.resolve(
        piece.flatMap((id) => (c.rows.has(id) ? [stored(c.rows.get(id)!)] : [])),
      )
    })
  }

  count(collection: string, opts: Signal) {
    return this.#op(opts, () => this.#get(collection).rows.size)
  }

  collections(opts: Signal) {
    return this.#op(opts, (): CollectionInfo[] =>
      [...this.#collections.values()].map((c) => ({ ...c.spec, count: c.rows.size })),
    )
  }

  health(opts: Signal): Promise<void> {
    return this.#op(opts, () => undefined)
  }

  close(): Promise<void> {
    this.#closed = true
    return Promise.resolve()
  }

  /** Every call answers asynchronously, like a real store, after the closed and signal checks. */
  async #op<T>({ signal }: Signal, fn: () => T): Promise<T> {
    await Promise.resolve()
    if (this.#closed) throw new VectorizeError('store_unavailable', 'the memory store is closed')
    if (signal.aborted)
      throw new VectorizeError('cancelled', 'operation was cancelled', { cause: signal.reason })
    return fn()
  }

  #get(name: string): Collection {
    checkName(name)
    const c = this.#collections.get(name)
    if (!c) throw new VectorizeError('store_rejected', `collection ${name} does not exist`)
    return c
  }
}

type Meta = Record<string, unknown>

function stored(row: Row): StoredRecord {
  const { id, taskId, documentId, chunkIndex, text } = row
  const metadata = JSON.parse(row.json, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.assign(Object.create(null) as Meta, value)
      : value,
  ) as Meta
  return { id, taskId, documentId, chunkIndex, text, metadata }
}

function checkCondition(c: FilterCondition): FilterCondition {
  const rejected = (why: string) =>
    new VectorizeError('store_rejected', `filter on ${c.field}: ${why}`)
  if (!FIELD.test(c.field)) throw rejected(`field must match ${String(FIELD)}`)
  if (!filterOps.includes(c.op))
    throw rejected(`op ${String(c.op)} is not one of ${filterOps.join(', ')}`)
  if (typeof c.value === 'number' && !Number.isFinite(c.value))
    throw rejected('not a finite number')
  if (!['eq', 'ne'].includes(c.op) && typeof c.value !== 'number')
    throw rejected(`${c.op} needs a number`)
  return c
}

/** Values match only their own JSON type; `ne` also matches records without the field. */
function matches(meta: Meta, c: FilterCondition): boolean {
  const value = Object.hasOwn(meta, c.field) ? meta[c.field] : undefined
  const eq = value === c.value
  switch (c.op) {
    case 'eq':
      return eq
    case 'ne':
      return !eq
    default: {
      if (typeof value !== 'number' || typeof c.value !== 'number') return false
      const [a, b] = [value, c.value]
      return c.op === 'gt' ? a > b : c.op === 'gte' ? a >= b : c.op === 'lt' ? a < b : a <= b
    }
  }
}

function score(spec: CollectionSpec, q: Float32Array, v: Float32Array): number {
  let dot = 0
  let qq = 0
  let vv = 0
  let l2 = 0
  for (let i = 0; i < q.length; i++) {
    dot += q[i]! * v[i]!
    qq += q[i]! * q[i]!
    vv += v[i]! * v[i]!
    l2 += (q[i]! - v[i]!) ** 2
  }
  if (spec.distance === 'dot') return dot
  if (spec.distance === 'euclidean') return -Math.sqrt(l2)
  return dot / Math.sqrt(qq * vv)
}
