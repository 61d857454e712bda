/**
 * The store registry: one line per adapter. Adapters are imported when chosen, so a command that
 * needs no store (or another one) never loads a vendor SDK (LanceDB + Arrow cost ~0.4 s).
 */
import type { Config, StoreKind } from '../config/schema.ts'
import type { Logger } from '../observability/logger.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { VectorStore } from './store.ts'

export type StoreFactory = (
  config: Config['vector_databases'],
  deps: { logger: Logger },
) => Promise<VectorStore>

const notYet =
  (kind: StoreKind): StoreFactory =>
  () =>
    Promise.reject(
      new VectorizeError(
        'config_invalid',
        `vector_databases.default: ${kind} is not available in this version yet; use lancedb`,
      ),
    )

export const stores: Readonly<Record<StoreKind, StoreFactory>> = {
  lancedb: async (config, deps) =>
    (await import('./lancedb.ts')).LanceDbStore.create({ path: config.lancedb.path }, deps),
  weaviate: async (config, deps) =>
    (await import('./weaviate.ts')).WeaviateStore.create(config.weaviate, deps),
  qdrant: notYet('qdrant'),
}
