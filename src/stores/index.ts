/**
 * The store registry: one line per adapter. Adapters are imported when chosen, so a command that
 * needs no store (or another one) never loads a vendor SDK (LanceDB + Arrow cost ~0.4 s).
 */
import type { Config, StoreKind } from '../config/schema.ts'
import type { Logger } from '../observability/logger.ts'
import type { VectorStore } from './store.ts'

export type StoreFactory = (
  config: Config['vector_databases'],
  deps: { logger: Logger },
) => Promise<VectorStore>

export const stores: Readonly<Record<StoreKind, StoreFactory>> = {
  lancedb: async (config, deps) =>
    (await import('./lancedb.ts')).LanceDbStore.create({ path: config.lancedb.path }, deps),
  weaviate: async (config, deps) =>
    (await import('./weaviate.ts')).WeaviateStore.create(config.weaviate, deps),
  qdrant: async (config, deps) =>
    (await import('./qdrant.ts')).QdrantStore.create(config.qdrant, deps),
}
