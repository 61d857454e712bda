/**
 * A Qdrant stand-in: an HTTP server on 127.0.0.1 (random port) that speaks Qdrant's REST API for
 * the operations QdrantStore uses, with the state and semantics of qdrant-standin-engine.ts.
 *
 * Every request is checked against Qdrant's published OpenAPI description (qdrant-openapi.ts)
 * before it is served and answered as Qdrant answers it: 400 `Format error in JSON body` for a
 * wrong type or shape, 422 `Validation error in JSON body` for a broken rule, and an unknown field
 * is ignored. Each of them, the ignored field too, is recorded in `violations`, which tests assert
 * empty. Every answer is checked too (a bad answer is a stand-in bug: recorded, and answered 500).
 * Writes without `wait=true` are acknowledged first and applied a moment later, as Qdrant does, so
 * a client that forgets to wait can read stale data. Bodies over `maxRequestBytes` (Qdrant:
 * service.max_request_size_mb, 32 MiB) are refused with 400.
 *
 * With `apiKey`, every request but the ones Qdrant lets through without a key (`/`, `/healthz`,
 * `/readyz`, `/livez`: src/actix/mod.rs) needs it in the `api-key` header (or `Authorization:
 * Bearer`), and is otherwise answered 401 with Qdrant's plain-text message (src/common/auth).
 * Payload indexes created are logged in `indexes`; a filter (search, count, delete) on a key that
 * has no index is logged in `unindexedFilters`: Qdrant would scan for it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import {
  QdrantEngine,
  QdrantError,
  type EngineOp,
  type StandInEngine,
} from './qdrant-standin-engine.ts'
import { Unsupported } from './qdrant-standin-filter.ts'
import { QdrantOpenApi, type Route } from './qdrant-openapi.ts'
import { checkApiKey, IndexLog, type IndexCreated } from './qdrant-standin-checks.ts'

type Json = Record<string, unknown>

export interface StandInOptions {
  /** Path of the OpenAPI description (see qdrant-openapi.ts). */
  readonly openApi: string
  readonly maxRequestBytes?: number
  /** Upserts are answered this much later, so requests a client overlaps do overlap here. */
  readonly upsertDelayMs?: number
  /** The state behind the API: the in-memory engine unless given (e.g. Qdrant Edge's). */
  readonly engine?: StandInEngine
  /** The server's `service.api_key`: requests without it are answered 401. */
  readonly apiKey?: string
}

export interface RequestLog {
  readonly method: string
  readonly template: string
  readonly bytes: number
  /** The request's Accept-Encoding (Qdrant gzips the answer when it allows gzip). */
  readonly acceptEncoding: string | undefined
}

export interface QdrantStandIn {
  readonly url: string
  readonly apiVersion: string
  /** Requests or answers that broke the API description, or used what the stand-in lacks. */
  readonly violations: string[]
  readonly requests: RequestLog[]
  /** The most upsert requests that were being served at once. */
  readonly maxInFlight: number
  /** Payload indexes created, in order. */
  readonly indexes: readonly IndexCreated[]
  /** `collection: key` of every filter condition on a key without a payload index. */
  readonly unindexedFilters: string[]
  /** The next `times` requests are answered `status` with a Qdrant-shaped error body. */
  failNext(status: number, times?: number): void
  /** The next request is never answered (until close): for client timeouts. */
  stallNext(): void
  close(): Promise<void>
}

const DEFAULT_LIMIT = 32 * 1024 * 1024
/** How long an un-waited write stays invisible. */
const APPLY_DELAY_MS = 30

async function readBody(req: IncomingMessage, limit: number) {
  let bytes = 0
  const chunks: Buffer[] = []
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length
    if (bytes <= limit) chunks.push(chunk)
  }
  return { bytes, text: bytes <= limit ? Buffer.concat(chunks).toString('utf8') : '' }
}

/** As Qdrant (actix's Compress): gzip when the client accepts it, the body written apart. */
function send(res: ServerResponse, status: number, body: unknown): void {
  const json = Buffer.from(JSON.stringify(body))
  const accepts = /\bgzip\b/.test(String(res.req.headers['accept-encoding'] ?? ''))
  if (!accepts) {
    res.writeHead(status, { 'content-type': 'application/json' })
    return void res.end(json)
  }
  res.writeHead(status, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
  res.end(gzipSync(json))
}

const ok = (result: unknown): Json => ({ result, status: 'ok', time: 0.0001 })
const error = (message: string): Json => ({ status: { error: message }, time: 0 })

const operations: Record<string, EngineOp> = {
  'GET /collections': 'names',
  'GET /collections/{collection_name}': 'info',
  'GET /collections/{collection_name}/exists': 'exists',
  'PUT /collections/{collection_name}': 'create',
  'PUT /collections/{collection_name}/index': 'createIndex',
  'PUT /collections/{collection_name}/points': 'upsert',
  'POST /collections/{collection_name}/points': 'retrieve',
  'POST /collections/{collection_name}/points/delete': 'delete',
  'POST /collections/{collection_name}/points/count': 'count',
  'POST /collections/{collection_name}/points/query': 'query',
}
const writes = new Set<EngineOp>(['upsert', 'delete'])

/** Operation ids of writes acknowledged before they are applied (Qdrant numbers them). */
let acknowledged = 0

/** Runs an operation; `wait` decides whether a write is applied before answering. */
async function serve(engine: StandInEngine, route: Route, body: Json, wait: boolean) {
  const key = `${route.method} ${route.template}`
  if (key === 'GET /')
    return { title: 'qdrant - vector search engine (stand-in)', version: '1.19.0' }
  const op = operations[key]
  if (op === undefined) throw new Unsupported(key)
  const name = route.params.collection_name ?? ''
  if (writes.has(op) && !wait) {
    // Qdrant acknowledges first and applies later; an error then is only logged.
    setTimeout(() => void engine.call(op, name, body).catch(() => undefined), APPLY_DELAY_MS)
    return ok({ operation_id: ++acknowledged, status: 'acknowledged' })
  }
  return ok(await engine.call(op, name, body))
}

export async function startQdrantStandIn(options: StandInOptions): Promise<QdrantStandIn> {
  const api = QdrantOpenApi.load(options.openApi)
  const engine = options.engine ?? new QdrantEngine()
  const limit = options.maxRequestBytes ?? DEFAULT_LIMIT
  const violations: string[] = []
  const requests: RequestLog[] = []
  const indexes = new IndexLog()
  let failures: { status: number; times: number } | undefined
  let stall = false
  let inFlight = 0
  let maxInFlight = 0

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const method = req.method ?? 'GET'
    const { bytes, text } = await readBody(req, limit)
    const route = api.route(method, url.pathname)
    const acceptEncoding = req.headers['accept-encoding']
    requests.push({ method, template: route?.template ?? url.pathname, bytes, acceptEncoding })
    if (stall) {
      stall = false
      return // never answered; close() drops the connection
    }
    if (failures !== undefined && failures.times-- > 0) {
      return send(
        res,
        failures.status,
        error(`Service internal error: injected ${failures.status}`),
      )
    }
    const denied = checkApiKey(options.apiKey, url.pathname, req.headers)
    if (denied !== undefined) {
      res.writeHead(401) // Qdrant 1.19 names no content type here
      return void res.end(denied)
    }
    if (route === undefined) {
      violations.push(`${method} ${url.pathname} is not in the API`)
      return send(res, 404, error(`stand-in: no route ${method} ${url.pathname}`))
    }
    if (bytes > limit) {
      const why = `JSON payload (${bytes} bytes) is larger than allowed (limit: ${limit} bytes).`
      return send(res, 400, error(why))
    }
    let body: Json | undefined
    try {
      body = text === '' ? undefined : (JSON.parse(text) as Json)
    } catch (err) {
      return send(res, 400, error(`Format error in JSON body: ${(err as Error).message}`))
    }
    const checked = api.checkRequest(route, url.searchParams, body)
    if (checked.violations.length > 0) {
      violations.push(`${method} ${route.template}: ${checked.violations.join('; ')}`)
    }
    if (checked.refusal !== undefined) {
      return send(res, checked.refusal.status, error(checked.refusal.message))
    }
    indexes.checkFilter(route, body ?? {})
    let status = 200
    let answer: unknown
    try {
      answer = await serve(engine, route, body ?? {}, url.searchParams.get('wait') === 'true')
      indexes.served(route, body ?? {})
    } catch (err) {
      if (err instanceof Unsupported) violations.push(`stand-in lacks ${err.message}`)
      status = err instanceof QdrantError ? err.status : 501
      if (status === 501 && !(err instanceof Unsupported)) violations.push(String(err))
      answer = error(err instanceof Error ? err.message : String(err))
    }
    const wrong = api.checkResponse(route, status, answer)
    if (wrong.length > 0) {
      violations.push(`stand-in answer to ${method} ${route.template}: ${wrong.join('; ')}`)
      return send(res, 500, error('stand-in answered outside the API'))
    }
    send(res, status, answer)
  }

  const server = createServer((req, res) => {
    const upsert = req.method === 'PUT' && /\/points(\?|$)/.test(req.url ?? '')
    if (upsert) maxInFlight = Math.max(maxInFlight, ++inFlight)
    const delay = upsert ? (options.upsertDelayMs ?? 0) : 0
    new Promise((resolve) => setTimeout(resolve, delay))
      .then(() => handle(req, res))
      .catch((err: unknown) => {
        violations.push(`stand-in crashed: ${String(err)}`)
        if (!res.headersSent) send(res, 500, error(String(err)))
      })
      .finally(() => (upsert ? inFlight-- : undefined))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    apiVersion: api.version,
    violations,
    requests,
    get maxInFlight() {
      return maxInFlight
    },
    indexes: indexes.created,
    unindexedFilters: indexes.unindexed,
    failNext(status, times = 1) {
      failures = { status, times }
    },
    stallNext() {
      stall = true
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await engine.close()
    },
  }
}
