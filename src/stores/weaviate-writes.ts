/** Records → Weaviate objects, and the metadata properties a batch needs. */
import type { Collection, Properties } from 'weaviate-client'
import type { CollectionSpec, VectorRecord } from './store.ts'
import { splitRecords, toNumbers } from './records.ts'
import {
  fieldDefinition,
  indexedFields,
  objectId,
  toProperties,
  type PropertyDef,
} from './weaviate-schema.ts'

type PropertyCreate = PropertyDef

export interface Prepared {
  /** Position in the caller's records (the last of repeated ids). */
  readonly index: number
  readonly id: string
  readonly object: {
    id: string
    properties: Record<string, string | number | boolean>
    vectors: number[]
  }
  /** Definitions of the metadata properties this object writes. */
  readonly fields: readonly PropertyCreate[]
}

/** Objects to send with the property definitions they need, and per-record failures. */
export function prepare(records: readonly VectorRecord[], spec: CollectionSpec) {
  const { writes: objects, failed } = splitRecords(records, spec, (record, index) => {
    const properties = toProperties(record)
    const fields = indexedFields(record.metadata ?? {}).map(([f, t]) => fieldDefinition(f, t))
    const object = { id: objectId(record.id), properties, vectors: toNumbers(record.vector) }
    return { key: object.id, value: { index, id: record.id, object, fields } satisfies Prepared }
  })
  return { objects, failed }
}

/**
 * Adds properties to a class, all at once (one round trip's wait, not one per field). Another
 * worker may add the same one at the same time; Weaviate then answers that it exists, which is
 * success once `refresh` shows it. A property of that name with another type (made outside
 * vectorize) is left as it is: Weaviate then rejects the objects that write it, each reported as
 * failed.
 */
export async function addProperties(
  handle: Collection<Properties, string>,
  defs: readonly PropertyCreate[],
  refresh: () => Promise<void>,
): Promise<void> {
  const unique = [...new Map(defs.map((def) => [def.name, def])).values()]
  const settled = await Promise.allSettled(unique.map((def) => handle.config.addProperty(def)))
  let raced = false
  for (const result of settled) {
    if (result.status === 'fulfilled') continue
    const err: unknown = result.reason
    // "conflict for property …: already in use or provided multiple times" on 1.35
    if (!/already (exists|in use)/i.test(String((err as Error).message))) throw err
    raced = true
  }
  if (raced) await refresh()
}
