/**
 * Qdrant's published OpenAPI description, compiled with ajv, for the stand-in server
 * (qdrant-standin.ts): every request it receives and every answer it gives is checked against it.
 *
 * The description is not part of this repository (shared/specs/README.md): it is read from
 * `../shared/specs/qdrant-openapi-1.19.json` next to the repository, or from the path in
 * `VECTORIZE_QDRANT_OPENAPI`. Tests that need it skip, saying why, when it is absent.
 *
 * OpenAPI 3.0 → JSON Schema: `nullable: true` becomes a `null` type, and every object schema that
 * lists its properties without saying otherwise gets `additionalProperties: false`, so a misspelt
 * field, which Qdrant would silently ignore, is a violation here.
 */
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import { repoRoot } from './models.ts'

export const OPENAPI_FILE = 'qdrant-openapi-1.19.json'

/** Where the description is, or undefined when this checkout has none. */
export function openApiPath(): string | undefined {
  const candidates = [
    process.env.VECTORIZE_QDRANT_OPENAPI,
    resolve(repoRoot(), '..', 'shared', 'specs', OPENAPI_FILE),
  ]
  return candidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p))
}

type Json = Record<string, unknown>

interface Operation {
  readonly parameters?: { name: string; in: string; required?: boolean; schema: Json }[]
  readonly requestBody?: { content?: { 'application/json'?: { schema: Json } } }
  readonly responses: Record<string, { content?: { 'application/json'?: { schema: Json } } }>
}

export interface Route {
  readonly template: string
  readonly method: string
  readonly params: Record<string, string>
  readonly operation: Operation
}

/** OpenAPI 3.0 schema → JSON Schema for ajv (see the file comment). */
function convert(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convert)
  if (typeof node !== 'object' || node === null) return node
  const out: Json = {}
  for (const [key, value] of Object.entries(node as Json)) {
    if (key !== 'nullable' && key !== 'example') out[key] = convert(value)
  }
  if ('properties' in out && out.type === 'object' && !('additionalProperties' in out)) {
    out.additionalProperties = false
  }
  if ((node as Json).nullable !== true) return out
  if (typeof out.type === 'string') return { ...out, type: [out.type, 'null'] }
  if (Object.keys(out).every((k) => k === 'description' || k === 'default')) {
    return { ...out, type: 'null' }
  }
  return { anyOf: [out, { type: 'null' }] }
}

const unsigned = (bits: number) => ({
  type: 'number' as const,
  validate: (n: number) => Number.isInteger(n) && n >= 0 && n < 2 ** bits,
})
const anything = { type: 'string' as const, validate: () => true }
const anyNumber = { type: 'number' as const, validate: () => true }
const formats = {
  uint: unsigned(64),
  uint64: unsigned(64),
  uint32: unsigned(32),
  uint8: unsigned(8),
  int64: { type: 'number' as const, validate: (n: number) => Number.isInteger(n) },
  float: anyNumber,
  double: anyNumber,
  uuid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  'date-time': anything,
  'partial-date-time': anything,
  uri: anything,
  binary: anything,
}

export class QdrantOpenApi {
  readonly version: string
  readonly #paths: Record<string, Record<string, Operation>>
  readonly #ajv: Ajv
  readonly #compiled = new Map<Json, ValidateFunction>()

  static readonly #loaded = new Map<string, QdrantOpenApi>()

  /** One compiled description per file and process: compiling takes a while. */
  static load(path: string): QdrantOpenApi {
    let api = QdrantOpenApi.#loaded.get(path)
    if (api === undefined) {
      api = new QdrantOpenApi(path)
      QdrantOpenApi.#loaded.set(path, api)
    }
    return api
  }

  private constructor(path: string) {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as {
      info: { version: string }
      paths: Record<string, Record<string, Operation>>
      components: Json
    }
    this.version = doc.info.version
    this.#paths = doc.paths
    this.#ajv = new Ajv({ strict: false, allErrors: false, formats })
    this.#ajv.addSchema({ components: convert(doc.components) }, 'qdrant')
  }

  /** The operation for a request; literal segments win over `{parameters}`. */
  route(method: string, pathname: string): Route | undefined {
    const segments = pathname.split('/').map(decodeURIComponent)
    let best: { route: Route; literal: number } | undefined
    for (const [template, operations] of Object.entries(this.#paths)) {
      const operation = operations[method.toLowerCase()]
      const parts = template.split('/')
      if (operation === undefined || parts.length !== segments.length) continue
      const params: Record<string, string> = {}
      let literal = 0
      const fits = parts.every((part, i) => {
        const name = /^\{(.+)\}$/.exec(part)?.[1]
        if (name === undefined) return part === segments[i] && ++literal > 0
        params[name] = segments[i] ?? ''
        return true
      })
      if (fits && (best === undefined || literal > best.literal)) {
        best = { route: { template, method, params, operation }, literal }
      }
    }
    return best?.route
  }

  /** Schema violations of a request's query string and JSON body; empty when it conforms. */
  checkRequest(route: Route, query: URLSearchParams, body: unknown): string[] {
    const errors: string[] = []
    const declared = route.operation.parameters ?? []
    for (const name of new Set(query.keys())) {
      const param = declared.find((p) => p.in === 'query' && p.name === name)
      if (param === undefined) errors.push(`query parameter ${name} is not in the API`)
      else errors.push(...this.#check(param.schema, coerce(query.get(name) ?? ''), `query ${name}`))
    }
    const schema = route.operation.requestBody?.content?.['application/json']?.schema
    if (schema !== undefined && body !== undefined)
      errors.push(...this.#check(schema, body, 'body'))
    if (schema === undefined && body !== undefined) errors.push('this operation takes no body')
    return errors
  }

  /** Schema violations of an answer (200 schema, or the error schema for any other status). */
  checkResponse(route: Route, status: number, body: unknown): string[] {
    const responses = route.operation.responses
    const declared = status === 200 ? responses['200'] : (responses['4XX'] ?? responses.default)
    const schema = declared?.content?.['application/json']?.schema ?? {
      $ref: '#/components/schemas/ErrorResponse',
    }
    return this.#check(schema, body, `answer ${status}`)
  }

  #check(schema: Json, value: unknown, where: string): string[] {
    let validate = this.#compiled.get(schema)
    if (validate === undefined) {
      const local = JSON.stringify(convert(schema)).replaceAll(
        '"#/components',
        '"qdrant#/components',
      )
      validate = this.#ajv.compile(JSON.parse(local) as Json)
      this.#compiled.set(schema, validate)
    }
    if (validate(value)) return []
    return (validate.errors ?? []).map(
      (e) => `${where}${e.instancePath} ${e.message ?? 'invalid'} ${JSON.stringify(e.params)}`,
    )
  }
}

/** Query strings carry text; the API's query parameters are booleans, integers and strings. */
function coerce(text: string): unknown {
  if (text === 'true' || text === 'false') return text === 'true'
  return /^-?\d+$/.test(text) ? Number(text) : text
}
