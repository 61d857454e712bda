/** Records → Weaviate objects, and the metadata properties a batch needs. */
import type { Collection, Properties } from 'weaviate-client'
import type { CollectionSpec, UpsertFailure, VectorRecord } from './store.ts'
import { invalidReason } from './records.ts'
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

/** Splits records into objects (last one wins per id) and per-record failures. */
export function prepare(records: readonly VectorRecord[], spec: CollectionSpec) {
  const byId = new Map<string, Prepared>()
  const failed: UpsertFailure[] = []
  records.forEach((record, index) => {
    let reason = invalidReason(record, spec)
    if (reason === undefined) {
      try {
        const properties = toProperties(record)
        const fields = indexedFields(record.metadata ?? {}).map(([f, t]) => fieldDefinition(f, t))
        const object = { id: objectId(record.id), properties, vectors: Array.from(record.vector) }
        // Two objects with one UUID in a batch are written in no defined order: keep the last.
        byId.delete(object.id)
        byId.set(object.id, { index, id: record.id, object, fields })
      } catch (err) {
        reason = `metadata is not JSON-serialisable: ${err instanceof Error ? err.message : ''}`
      }
    }
    if (reason !== undefined) failed.push({ index, id: String(record.id), reason })
  })
  return { objects: [...byId.values()], failed }
}

/**
 * Adds properties to a class. Another worker may add the same one at the same time; Weaviate then
 * answers that it exists, which is success once `refresh` shows it. A property of that name with
 * another type (made outside vectorize) is left as it is: Weaviate then rejects the objects that
 * write it, each reported as failed.
 */
export async function addProperties(
  handle: Collection<Properties, string>,
  defs: readonly PropertyCreate[],
  refresh: () => Promise<void>,
): Promise<void> {
  const seen = new Set<string>()
  for (const def of defs) {
    if (seen.has(def.name)) continue
    seen.add(def.name)
    try {
      await handle.config.addProperty(def)
    } catch (err) {
      // "conflict for property …: already in use or provided multiple times" on 1.35
      if (!/already (exists|in use)/i.test(String((err as Error).message))) throw err
      await refresh()
    }
  }
}
