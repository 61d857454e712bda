/**
 * The stores the Kafka fault scenarios run on, as the tests see them: the environment that points
 * the `vectorize worker` processes at one, and a reader of what it holds afterwards, so that one
 * scenario can count what was stored in LanceDB, Weaviate or Qdrant (qdrant-under-test.ts) without
 * knowing which.
 */
import { connect } from '@lancedb/lancedb'
import type { Workspace } from './cli.ts'

/** One stored record, as read back from the store. */
export interface StoredRecord {
  /** The record id (the vector id a result reports). */
  readonly id: string
  /** The task that wrote it. */
  readonly taskId: string
  /** The store's own key of the object where it has one besides the id (Weaviate's UUID). */
  readonly objectId?: string
}

export interface StoreUnderTest {
  /** `vector_databases.default` of the workers. */
  readonly name: 'lancedb' | 'weaviate' | 'qdrant'
  /** Environment for the workers, over the workspace's own. */
  env(): Record<string, string>
  /** A collection name for one run (fresh where the store outlives the workspace). */
  collection(prefix: string): string
  /** Every record of `collection`, in any order. */
  records(ws: Workspace, collection: string): Promise<StoredRecord[]>
}

/** LanceDB in the workspace's directory, the CLI's default store: nothing to configure. */
export const lancedbUnderTest: StoreUnderTest = {
  name: 'lancedb',
  env: () => ({}),
  collection: (prefix) => prefix,
  records: (ws, collection) => lancedbRecords(ws.lancedbPath, collection),
}

/** Rows of a LanceDB collection: their ids and task ids. */
export async function lancedbRecords(path: string, collection: string): Promise<StoredRecord[]> {
  const db = await connect(path)
  try {
    const table = await db.openTable(collection)
    try {
      const rows = (await table.query().select(['id', 'task_id']).toArray()) as {
        id: string
        task_id: string
      }[]
      return rows.map((r) => ({ id: r.id, taskId: r.task_id }))
    } finally {
      table.close()
    }
  } finally {
    db.close()
  }
}
