/**
 * What the Qdrant stand-in (qdrant-standin.ts) checks besides the API description: the API key,
 * as Qdrant's auth middleware does (src/actix/auth.rs, src/common/auth/mod.rs), and which filter
 * keys have a payload index.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Route } from './qdrant-openapi.ts'

type Json = Record<string, unknown>

/** Paths Qdrant serves without a key (src/actix/mod.rs, api_key_whitelist). */
function whitelisted(path: string): boolean {
  return (
    path === '/' || path === '/healthz' || path.startsWith('/readyz') || path.startsWith('/livez')
  )
}

/** Qdrant's 401 message for a request that lacks the key or has another one; else undefined. */
export function checkApiKey(
  apiKey: string | undefined,
  path: string,
  headers: IncomingHttpHeaders,
): string | undefined {
  if (apiKey === undefined || whitelisted(path)) return undefined
  const header = headers['api-key']
  const bearer = headers.authorization?.startsWith('Bearer ')
    ? headers.authorization.slice('Bearer '.length)
    : undefined
  const given = typeof header === 'string' ? header : bearer
  if (given === undefined) return 'Must provide an API key or an Authorization bearer token'
  return given === apiKey ? undefined : 'Invalid API key or JWT'
}

/** Every `key` a filter's conditions name, nested filters included. */
export function filterKeys(filter: unknown): string[] {
  if (typeof filter !== 'object' || filter === null) return []
  if (Array.isArray(filter)) return filter.flatMap(filterKeys)
  const node = filter as Json
  const own = typeof node.key === 'string' ? [node.key] : []
  const nested = ['must', 'should', 'must_not', 'filter', 'conditions', 'min_should'].flatMap((k) =>
    filterKeys(node[k]),
  )
  return [...own, ...nested]
}

export interface IndexCreated {
  readonly collection: string
  readonly field: string
  readonly type: string
}

const filtered = new Set([
  'POST /collections/{collection_name}/points/query',
  'POST /collections/{collection_name}/points/count',
  'POST /collections/{collection_name}/points/delete',
])

/** The payload indexes created through the stand-in, and the filters that had none to use. */
export class IndexLog {
  readonly created: IndexCreated[] = []
  readonly unindexed: string[] = []

  /** Before serving: logs the filter keys of a search, count or delete that have no index. */
  checkFilter(route: Route, body: Json): void {
    if (!filtered.has(`${route.method} ${route.template}`)) return
    const collection = route.params.collection_name ?? ''
    for (const key of new Set(filterKeys(body.filter))) {
      if (!this.created.some((i) => i.collection === collection && i.field === key)) {
        this.unindexed.push(`${collection}: ${key}`)
      }
    }
  }

  /** After a request succeeded: logs the payload index it created, if it created one. */
  served(route: Route, body: Json): void {
    if (`${route.method} ${route.template}` !== 'PUT /collections/{collection_name}/index') return
    const schema = body.field_schema as string | { type?: string } | null | undefined
    const type = typeof schema === 'string' ? schema : (schema?.type ?? 'keyword')
    const collection = route.params.collection_name ?? ''
    this.created.push({ collection, field: String(body.field_name), type })
  }
}
