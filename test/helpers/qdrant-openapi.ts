/**
 * Qdrant's published OpenAPI description, compiled with ajv, for the stand-in server
 * (qdrant-standin.ts): every request it receives and every answer it gives is checked against it.
 *
 * The description is not part of this repository (shared/specs/README.md): it is read from
 * `../shared/specs/qdrant-openapi-1.19.json` next to the repository, or from the path in
 * `VECTORIZE_QDRANT_OPENAPI`. Tests that need it skip, saying why, when it is absent.
 *
 * OpenAPI 3.0 → JSON Schema: `nullable: true` becomes a `null` type. A request is answered as
 * Qdrant answers it (src/actix/mod.rs, validation_error_handler), and checked more strictly than
 * Qdrant checks it, so each schema is compiled in three variants:
 * - `shape`, without the validation rules (RULE_KEYWORDS): what serde checks. A wrong type, a
 *   missing field, an unknown enum value, or an unknown field where the published schema itself
 *   says `additionalProperties: false` (Filter does) fails here: 400 `Format error in JSON body`.
 * - `published`: the rules too (ranges, lengths), checked after deserialising: 422 `Validation
 *   error in JSON body`, and only for those.
 * - `strict`: every object schema that lists its properties without saying otherwise is closed.
 *   A misspelt field, which Qdrant silently ignores (and so serves the request), fails here only:
 *   it is recorded as a violation, which tests assert empty.
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

/**
 * How a schema is compiled: as published, `strict` (objects closed) or `shape` (the validation
 * rules left out: what serde alone checks). See the file comment.
 */
type Variant = 'published' | 'strict' | 'shape'

/** Qdrant's `validator` rules: checked after deserialisation, answered 422. */
const RULE_KEYWORDS = new Set([
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
])
/**
 * Integers Qdrant types as non-zero (`NonZeroU64`): 0 fails deserialisation (400 `Format error`),
 * not a rule (422), though the description gives them `minimum: 1` like any rule. Checked on a
 * 1.19.0 server: `vectors.size: 0` → 400; `shard_number`, `replication_factor`,
 * `write_consistency_factor`, `wal_capacity_mb` 0 → 422.
 */
const NON_ZERO = [['VectorParams', 'size']] as const
const NON_ZERO_MARK = 'x-vectorize-non-zero'

/** Keys whose value maps names to schemas (a property may be called `pattern`). */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions'])

/** OpenAPI 3.0 schema → JSON Schema for ajv, in one variant (see the file comment). */
function convert(node: unknown, variant: Variant): unknown {
  if (Array.isArray(node)) return node.map((n) => convert(n, variant))
  if (typeof node !== 'object' || node === null) return node
  const out: Json = {}
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === 'nullable' || key === 'example' || key === NON_ZERO_MARK) continue
    const nonZero = key === 'minimum' && (node as Json)[NON_ZERO_MARK] === true
    if (variant === 'shape' && RULE_KEYWORDS.has(key) && !nonZero) continue
    out[key] = SCHEMA_MAPS.has(key) ? convertMap(value, variant) : convert(value, variant)
  }
  const closes = variant === 'strict' && out.type === 'object' && 'properties' in out
  if (closes && !('additionalProperties' in out)) out.additionalProperties = false
  if ((node as Json).nullable !== true) return out
  if (typeof out.type === 'string') return { ...out, type: [out.type, 'null'] }
  if (Object.keys(out).every((k) => k === 'description' || k === 'default')) {
    return { ...out, type: 'null' }
  }
  return { anyOf: [out, { type: 'null' }] }
}

function convertMap(map: unknown, variant: Variant): unknown {
  if (typeof map !== 'object' || map === null) return map
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, convert(v, variant)]))
}

/** What a request breaks: what Qdrant answers, and everything the stand-in records. */
export interface RequestCheck {
  /** Qdrant's refusal (400 format, 422 validation), or undefined when it serves the request. */
  readonly refusal?: { readonly status: 400 | 422; readonly message: string }
  /** Every departure from the description, unknown fields that Qdrant ignores included. */
  readonly violations: string[]
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
  readonly #ajv: Record<Variant, Ajv>
  readonly #compiled: Record<Variant, Map<Json, ValidateFunction>> = {
    published: new Map(),
    strict: new Map(),
    shape: new Map(),
  }

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
    const schemas = (doc.components as { schemas: Record<string, Json> }).schemas
    for (const [schema, property] of NON_ZERO) {
      const field = (schemas[schema]?.properties as Record<string, Json> | undefined)?.[property]
      if (field !== undefined) field[NON_ZERO_MARK] = true
    }
    const compiler = (variant: Variant) => {
      const ajv = new Ajv({ strict: false, allErrors: false, formats })
      const schemas = convertMap((doc.components as { schemas?: unknown }).schemas, variant)
      return ajv.addSchema({ components: { schemas } }, 'qdrant')
    }
    this.#ajv = {
      published: compiler('published'),
      strict: compiler('strict'),
      shape: compiler('shape'),
    }
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

  /**
   * Checks a request's query string and JSON body as Qdrant would: a shape error is refused 400, a
   * broken rule 422, an unknown field is served (Qdrant ignores it) but recorded all the same.
   */
  checkRequest(route: Route, query: URLSearchParams, body: unknown): RequestCheck {
    const violations: string[] = []
    let refusal: RequestCheck['refusal']
    /** `part` and `format` name it as Qdrant does: `Format error in JSON body: …`. */
    const check = (schema: Json, value: unknown, where: string, part: string, format: string) => {
      const strict = this.#check('strict', schema, value, where)
      if (strict.length === 0) return
      violations.push(...strict)
      if (refusal !== undefined) return
      const shape = this.#check('shape', schema, value, where)
      const rules = shape.length > 0 ? [] : this.#check('published', schema, value, where)
      if (shape.length > 0) {
        refusal = { status: 400, message: `${format} in ${part}: ${shape.join('; ')}` }
      } else if (rules.length > 0) {
        refusal = { status: 422, message: `Validation error in ${part}: ${rules.join('; ')}` }
      }
    }
    const declared = route.operation.parameters ?? []
    for (const name of new Set(query.keys())) {
      const param = declared.find((p) => p.in === 'query' && p.name === name)
      if (param === undefined) violations.push(`query parameter ${name} is not in the API`)
      else {
        const value = coerce(query.get(name) ?? '')
        check(param.schema, value, `query ${name}`, 'query parameters', 'Deserialize error')
      }
    }
    const schema = route.operation.requestBody?.content?.['application/json']?.schema
    if (schema !== undefined && body !== undefined) {
      check(schema, body, 'body', 'JSON body', 'Format error')
    }
    if (schema === undefined && body !== undefined) violations.push('this operation takes no body')
    return refusal === undefined ? { violations } : { refusal, violations }
  }

  /** Schema violations of an answer (200 schema, or the error schema for any other status). */
  checkResponse(route: Route, status: number, body: unknown): string[] {
    const responses = route.operation.responses
    const declared = status === 200 ? responses['200'] : (responses['4XX'] ?? responses.default)
    const schema = declared?.content?.['application/json']?.schema ?? {
      $ref: '#/components/schemas/ErrorResponse',
    }
    return this.#check('strict', schema, body, `answer ${status}`)
  }

  #check(variant: Variant, schema: Json, value: unknown, where: string): string[] {
    const compiled = this.#compiled[variant]
    let validate = compiled.get(schema)
    if (validate === undefined) {
      const local = JSON.stringify(convert(schema, variant)).replaceAll(
        '"#/components',
        '"qdrant#/components',
      )
      validate = this.#ajv[variant].compile(JSON.parse(local) as Json)
      compiled.set(schema, validate)
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
