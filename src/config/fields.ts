/**
 * Walks the config schema to list its leaf settings: the source of env var names (env.ts), flag
 * coercion (load.ts) and the generated reference (docs/configuration.md).
 */
import type { z } from 'zod'

export type FieldKind = 'string' | 'number' | 'boolean' | 'enum' | 'string[]'

export interface Field {
  readonly path: readonly string[]
  readonly key: string
  readonly kind: FieldKind
  readonly options?: readonly string[]
  readonly defaultValue: unknown
  readonly doc: string
}

interface Def {
  type: string
  innerType?: z.ZodType
  shape?: Record<string, z.ZodType>
  element?: z.ZodType
  entries?: Record<string, string>
  defaultValue?: unknown
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { def: Def }).def

/** Strips default/prefault/optional wrappers, keeping the outermost description and default. */
function unwrap(schema: z.ZodType): { inner: z.ZodType; doc: string; defaultValue: unknown } {
  let inner = schema
  let doc = schema.description ?? ''
  let defaultValue: unknown
  for (let def = defOf(inner); def.innerType; def = defOf(inner)) {
    if (def.type === 'default' && defaultValue === undefined) defaultValue = def.defaultValue
    inner = def.innerType
    doc ||= inner.description ?? ''
  }
  return { inner, doc, defaultValue }
}

function kindOf(def: Def): FieldKind {
  if (def.type === 'array') return 'string[]'
  if (def.type === 'enum') return 'enum'
  if (def.type === 'number' || def.type === 'boolean' || def.type === 'string') return def.type
  throw new Error(`config schema: unsupported field type ${def.type}`)
}

export function listFields(schema: z.ZodType, path: readonly string[] = []): Field[] {
  const { inner, doc, defaultValue } = unwrap(schema)
  const def = defOf(inner)
  if (def.type === 'object' && def.shape) {
    return Object.entries(def.shape).flatMap(([name, child]) => listFields(child, [...path, name]))
  }
  const kind = kindOf(def)
  const options = def.entries ? Object.values(def.entries) : undefined
  return [{ path, key: path.join('.'), kind, ...(options && { options }), defaultValue, doc }]
}

/** Parses a string (from env or a flag) into the field's type; throws a message on failure. */
export function coerce(field: Field, raw: string): unknown {
  switch (field.kind) {
    case 'number': {
      const value = Number(raw.trim())
      if (raw.trim() === '' || !Number.isFinite(value)) throw new Error(`expected a number`)
      return value
    }
    case 'boolean': {
      const value = raw.trim().toLowerCase()
      if (['true', '1', 'yes', 'on'].includes(value)) return true
      if (['false', '0', 'no', 'off'].includes(value)) return false
      throw new Error(`expected true or false`)
    }
    case 'string[]':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    default:
      return raw
  }
}
