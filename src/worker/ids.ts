/**
 * Deterministic vector ids (SPEC §4.3): UUIDv5 of (collection, item or document id, chunk index,
 * model identity). Redelivering a task rewrites the same ids, so stores never hold a duplicate.
 */
import { createHash } from 'node:crypto'
import { v5 as uuidv5 } from 'uuid'

/** Fixed namespace of this project; changing it would re-key every stored vector. */
export const VECTOR_ID_NAMESPACE = '6f1c1f8e-3c2a-5b8e-9a51-7d0c2f6b4e10'

export interface VectorKey {
  readonly collection: string
  readonly documentId: string
  readonly chunkIndex: number
  readonly model: string
}

export function vectorId(key: VectorKey): string {
  const name = [key.collection, key.documentId, String(key.chunkIndex), key.model].join('\u0000')
  return uuidv5(name, VECTOR_ID_NAMESPACE)
}

/** The document id of an item that has no business id: its content hash. */
export function contentId(text: string): string {
  return 'sha256:' + createHash('sha256').update(text, 'utf8').digest('hex')
}
