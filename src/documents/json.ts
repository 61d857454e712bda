/**
 * JSON documents: `fields.text` names the fields (dotted paths, e.g. `body` or `post.title`) whose
 * values are text, `fields.metadata` those copied into every chunk's metadata. Without `fields`,
 * every string value is text. A root array is a list of records: each record's text fields are
 * sections with the record's own metadata, held to `processing.max_metadata_bytes` like a task's
 * own metadata. Parsed with prototype-pollution guards, in a parser thread (pool.ts).
 */
import sjson from 'secure-json-parse'
import { VectorizeError } from '../worker/errors.ts'
import { TextBuilder, decodeText } from './builder.ts'
import type { JsonFields, ParseJob, ParsedDocument } from './document.ts'
import { invalidDocument } from './errors.ts'

export function extractJson({ bytes, origin, fields, limits }: ParseJob): ParsedDocument {
  let root: unknown
  try {
    root = sjson.parse(decodeText(bytes), undefined, {
      protoAction: 'error',
      constructorAction: 'error',
    })
  } catch (err) {
    throw invalidDocument('json', origin, 'is not valid JSON', err)
  }
  return parseJson(root, fields, { origin, maxMetadataBytes: limits.max_metadata_bytes })
}

function parseJson(
  root: unknown,
  fields: JsonFields | undefined,
  { origin, maxMetadataBytes }: { origin: string; maxMetadataBytes: number },
): ParsedDocument {
  const records = Array.isArray(root) ? root : [root]
  const out = new TextBuilder()
  records.forEach((record, i) => {
    const prefix = Array.isArray(root) ? [`[${i}]`] : []
    const metadata = pick(record, fields?.metadata ?? [])
    if (metadata) checkMetadata(metadata, prefix[0] ?? '', { origin, maxMetadataBytes })
    for (const [path, value] of texts(record, fields)) {
      out.breakParagraph()
      out.section({ headingPath: [...prefix, path], ...(metadata && { metadata }) })
      out.append(value)
    }
  })
  const parsed = out.build()
  if (parsed.sections.length === 0)
    throw invalidDocument(
      'json',
      origin,
      fields ? `has no text in fields ${fields.text.join(', ')}` : 'has no string values',
    )
  const title = Array.isArray(root) ? undefined : get(root, 'title')
  return { ...parsed, ...(typeof title === 'string' && title && { title }) }
}

function texts(record: unknown, fields: JsonFields | undefined): [string, string][] {
  if (!fields) return leaves(record, '')
  return fields.text.flatMap((path) => {
    const value = get(record, path)
    if (typeof value === 'string') return value.trim() ? [[path, value] as [string, string]] : []
    if (Array.isArray(value))
      return value
        .filter((v): v is string => typeof v === 'string' && v.trim() !== '')
        .map((v) => [path, v] as [string, string])
    return []
  })
}

function leaves(value: unknown, path: string): [string, string][] {
  if (typeof value === 'string') return value.trim() ? [[path || '$', value]] : []
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, `${path}[${i}]`))
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => leaves(v, path ? `${path}.${k}` : k))
  return []
}

function pick(record: unknown, paths: readonly string[]): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {}
  for (const path of paths) {
    const value = get(record, path)
    if (value !== undefined) out[path] = value
  }
  return paths.length > 0 ? out : undefined
}

/** The metadata fields of one record, serialised as stored, fit `processing.max_metadata_bytes`. */
function checkMetadata(
  metadata: Record<string, unknown>,
  record: string,
  { origin, maxMetadataBytes }: { origin: string; maxMetadataBytes: number },
): void {
  const size = Buffer.byteLength(JSON.stringify(metadata))
  if (size <= maxMetadataBytes) return
  let [field, bytes] = ['', 0]
  for (const [k, v] of Object.entries(metadata)) {
    const n = Buffer.byteLength(JSON.stringify(v) ?? '')
    if (n > bytes) [field, bytes] = [k, n]
  }
  const where = record ? `metadata of record ${record}` : 'metadata'
  throw new VectorizeError(
    'input_too_large',
    `json document ${origin}: ${where} from document.fields.metadata is ${size} bytes, over ` +
      `processing.max_metadata_bytes (${maxMetadataBytes}); its largest field is ${field} (${bytes} bytes)`,
    { details: { format: 'json', origin, field, limit: 'max_metadata_bytes' } },
  )
}

/** Own properties only, so `__proto__`-like paths never reach a prototype. */
function get(value: unknown, path: string): unknown {
  let at = value
  for (const key of path.split('.')) {
    if (!at || typeof at !== 'object' || !Object.hasOwn(at, key)) return undefined
    at = (at as Record<string, unknown>)[key]
  }
  return at
}
