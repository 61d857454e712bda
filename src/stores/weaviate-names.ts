/**
 * Collection and metadata-field names → Weaviate class and property names, and back.
 *
 * Weaviate class names must match `[A-Z][_0-9A-Za-z]*` and are unique case-insensitively (a class
 * `Notes` blocks `NOTES`, cluster/schema ClassEqual on 1.35), while vectorize names are
 * case-sensitive (`[A-Za-z][A-Za-z0-9_]{0,62}`). So a name is escaped into lower case — an
 * upper-case letter X becomes `_x`, an underscore `__`, lower-case letters and digits stay — and
 * prefixed: class = `V` + escape(name). Examples: `notes` → `Vnotes`, `Notes` → `V_notes`,
 * `my_Docs` → `Vmy___docs`. The code is prefix-free, so decoding is exact, and two names that
 * differ only in case never map to classes that Weaviate considers equal.
 *
 * Metadata fields use the same escape under a per-type prefix (`ms_`, `mn_`, `mb_` for strings,
 * numbers, booleans); Weaviate lower-cases a property's first letter, which `m` already is.
 */
export const CLASS_PREFIX = 'V'

export function escapeName(name: string): string {
  return name.replace(/[A-Z_]/g, (c) => (c === '_' ? '__' : `_${c.toLowerCase()}`))
}

/** The name escapeName was given, or undefined when `escaped` is not its output. */
export function unescapeName(escaped: string): string | undefined {
  if (!/^[a-z0-9_]*$/.test(escaped)) return undefined
  let out = ''
  for (let i = 0; i < escaped.length; i++) {
    const c = escaped[i]!
    if (c !== '_') {
      out += c
      continue
    }
    const next = escaped[++i]
    if (next === '_') out += '_'
    else if (next !== undefined && /[a-z]/.test(next)) out += next.toUpperCase()
    else return undefined
  }
  return out
}

export function className(collection: string): string {
  return CLASS_PREFIX + escapeName(collection)
}

/** The collection a class holds, or undefined for a class vectorize did not name. */
export function collectionOf(weaviateClass: string): string | undefined {
  if (!weaviateClass.startsWith(CLASS_PREFIX)) return undefined
  const name = unescapeName(weaviateClass.slice(CLASS_PREFIX.length))
  return name !== undefined && name !== '' ? name : undefined
}

export type FieldType = 'string' | 'number' | 'boolean'

const typePrefix: Readonly<Record<FieldType, string>> = {
  string: 'ms_',
  number: 'mn_',
  boolean: 'mb_',
}

/** Weaviate's limit is 231; escaping at most doubles a name, so fields stay under 110. */
export const MAX_FIELD_LENGTH = 110

export function fieldProperty(field: string, type: FieldType): string {
  return typePrefix[type] + escapeName(field)
}
