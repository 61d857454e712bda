/**
 * The in-memory state and operations of the Qdrant stand-in (qdrant-standin.ts): collections with
 * one unnamed vector, points stored as Qdrant stores them (UUIDs in lower-case hyphenated form,
 * cosine vectors normalised on write), whole-request rejection of an invalid upsert, exact count,
 * delete by ids or filter, retrieval by ids, and nearest-neighbour queries with filters applied
 * before the top-k.
 * Messages and statuses copy Qdrant's (src/actix/helpers.rs: NotFound 404, AlreadyExists 409,
 * BadInput 400).
 */
import { holds, Unsupported, type StoredPoint } from './qdrant-standin-filter.ts'

type Json = Record<string, unknown>

export class QdrantError extends Error {
  readonly status: number

  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

interface Collection {
  readonly size: number
  readonly distance: string
  readonly metadata: Json | undefined
  readonly points: Map<string, StoredPoint>
  readonly indexes: Map<string, string>
}

const notFound = (name: string) =>
  new QdrantError(404, `Not found: Collection \`${name}\` doesn't exist!`)
const wrongDim = (expected: number, got: number) =>
  new QdrantError(400, `Wrong input: Vector dimension error: expected dim: ${expected}, got ${got}`)

function normalise(v: number[]): number[] {
  const norm = Math.hypot(...v)
  return norm === 0 ? v : v.map((x) => x / norm)
}

/** Qdrant's canonical id: UUIDs lower-case and hyphenated, integers as they are. */
function canonical(id: unknown): string | number {
  if (typeof id === 'number') return id
  const hex = String(id).replaceAll('-', '').toLowerCase()
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export const engineOps = [
  'names',
  'exists',
  'create',
  'info',
  'createIndex',
  'upsert',
  'delete',
  'count',
  'query',
  'retrieve',
] as const
export type EngineOp = (typeof engineOps)[number]

/** What the stand-in's HTTP side needs from an engine: this one, or Qdrant Edge's. */
export interface StandInEngine {
  call(op: EngineOp, name: string, body: Json): Promise<unknown>
  close(): Promise<void>
}

export class QdrantEngine implements StandInEngine {
  readonly #collections = new Map<string, Collection>()
  #operation = 0

  #get(name: string): Collection {
    const c = this.#collections.get(name)
    if (c === undefined) throw notFound(name)
    return c
  }

  /** One operation by name (the interface every stand-in engine offers). */
  call(op: EngineOp, name: string, body: Json): Promise<unknown> {
    try {
      return Promise.resolve(this.#ops[op](name, body))
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }

  close(): Promise<void> {
    this.#collections.clear()
    return Promise.resolve()
  }

  readonly #ops: Record<EngineOp, (name: string, body: Json) => unknown> = {
    names: () => ({ collections: this.names() }),
    exists: (name) => ({ exists: this.exists(name) }),
    create: (name, body) => this.create(name, body),
    info: (name) => this.info(name),
    createIndex: (name, body) => this.createIndex(name, body),
    upsert: (name, body) => this.upsert(name, body),
    delete: (name, body) => this.delete(name, body),
    count: (name, body) => this.count(name, body),
    query: (name, body) => this.query(name, body),
    retrieve: (name, body) => this.retrieve(name, body),
  }

  names(): { name: string }[] {
    return [...this.#collections.keys()].map((name) => ({ name }))
  }

  /** Every point of a collection as stored (none when there is no such collection). */
  points(name: string): StoredPoint[] {
    return [...(this.#collections.get(name)?.points.values() ?? [])]
  }

  exists(name: string): boolean {
    return this.#collections.has(name)
  }

  create(name: string, body: Json): boolean {
    if (this.#collections.has(name)) {
      throw new QdrantError(409, `Wrong input: Collection \`${name}\` already exists!`)
    }
    const vectors = body.vectors as Json | undefined
    if (typeof vectors?.size !== 'number' || typeof vectors.distance !== 'string') {
      throw new Unsupported('collections without one unnamed vector')
    }
    const metadata = (body.metadata ?? undefined) as Json | undefined
    const { size, distance } = vectors
    this.#collections.set(name, { size, distance, metadata, points: new Map(), indexes: new Map() })
    return true
  }

  info(name: string): Json {
    const c = this.#get(name)
    const payloadSchema = Object.fromEntries(
      [...c.indexes].map(([field, type]) => [field, { data_type: type, points: c.points.size }]),
    )
    return {
      status: 'green',
      optimizer_status: 'ok',
      segments_count: 1,
      points_count: c.points.size,
      indexed_vectors_count: 0,
      payload_schema: payloadSchema,
      config: {
        params: {
          vectors: { size: c.size, distance: c.distance },
          shard_number: 1,
          replication_factor: 1,
          write_consistency_factor: 1,
          on_disk_payload: true,
        },
        hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000 },
        optimizer_config: { default_segment_number: 0, flush_interval_sec: 5 },
        ...(c.metadata === undefined ? {} : { metadata: c.metadata }),
      },
    }
  }

  createIndex(name: string, body: Json): Json {
    const c = this.#get(name)
    c.indexes.set(
      String(body.field_name),
      typeof body.field_schema === 'string' ? body.field_schema : 'keyword',
    )
    return this.#done()
  }

  /** Checks the whole request first: Qdrant rejects it entirely for one bad point. */
  upsert(name: string, body: Json): Json {
    const c = this.#get(name)
    if (!Array.isArray(body.points)) throw new Unsupported('upsert in batch (columnar) form')
    const points = body.points as { id: unknown; vector: unknown; payload?: Json | null }[]
    for (const p of points) {
      if (!Array.isArray(p.vector)) throw new Unsupported('named or multi vectors')
      if (p.vector.length !== c.size) throw wrongDim(c.size, p.vector.length)
    }
    for (const p of points) {
      const vector = p.vector as number[]
      const id = canonical(p.id)
      c.points.set(String(id), {
        id,
        vector: c.distance === 'Cosine' ? normalise(vector) : vector,
        payload: p.payload ?? {},
        version: ++this.#operation,
      })
    }
    return this.#done()
  }

  delete(name: string, body: Json): Json {
    const c = this.#get(name)
    const ids = Array.isArray(body.points) ? new Set(body.points.map((id) => canonical(id))) : null
    for (const [key, p] of c.points) {
      if (ids !== null ? ids.has(p.id) : holds(body.filter as Json, p)) c.points.delete(key)
    }
    return this.#done()
  }

  count(name: string, body: Json): Json {
    const c = this.#get(name)
    const filter = body.filter as Json | undefined
    return { count: [...c.points.values()].filter((p) => holds(filter, p)).length }
  }

  query(name: string, body: Json): Json {
    const c = this.#get(name)
    const query = Array.isArray(body.query) ? (body.query as number[]) : undefined
    if (query === undefined) throw new Unsupported('queries other than a plain vector')
    if (query.length !== c.size) throw wrongDim(c.size, query.length)
    const q = c.distance === 'Cosine' ? normalise(query) : query
    const score = (v: number[]) =>
      c.distance === 'Euclid'
        ? Math.hypot(...v.map((x, i) => x - (q[i] ?? 0)))
        : v.reduce((sum, x, i) => sum + x * (q[i] ?? 0), 0)
    const sign = c.distance === 'Euclid' ? 1 : -1
    const filter = body.filter as Json | undefined
    const limit = typeof body.limit === 'number' ? body.limit : 10
    const hits = [...c.points.values()]
      .filter((p) => holds(filter, p))
      .map((p) => ({ p, score: score(p.vector) }))
      .sort((a, b) => sign * (a.score - b.score))
      .slice(0, limit)
    // The query API returns no payload unless asked for (`with_payload` defaults to false).
    const withPayload = body.with_payload === true
    return {
      points: hits.map(({ p, score }) => ({
        id: p.id,
        version: p.version,
        score,
        ...(withPayload ? { payload: p.payload } : {}),
      })),
    }
  }

  /**
   * Points by id (POST /points). As Qdrant 1.19 (its OpenAPI text says payload by default; the
   * server does not): ids not stored are left out, the payload only with `with_payload: true`, the
   * vector only with `with_vector: true`, fields not asked for left out, each point once.
   */
  retrieve(name: string, body: Json): Json[] {
    const c = this.#get(name)
    if (!Array.isArray(body.ids)) throw new QdrantError(400, 'Wrong input: ids are required')
    const payload = body.with_payload ?? false
    const vector = body.with_vector ?? false
    if (typeof payload !== 'boolean' || typeof vector !== 'boolean') {
      throw new Unsupported('with_payload/with_vector other than true or false')
    }
    const keys = new Set(body.ids.map((id) => String(canonical(id))))
    return [...keys].flatMap((key) => {
      const p = c.points.get(key)
      if (p === undefined) return []
      return [
        { id: p.id, ...(payload && { payload: p.payload }), ...(vector && { vector: p.vector }) },
      ]
    })
  }

  #done(): Json {
    return { operation_id: ++this.#operation, status: 'completed' }
  }
}
