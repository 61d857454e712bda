/** Settings of the Weaviate server the integration tests use (scripts/services.sh env). */
import { randomBytes } from 'node:crypto'
import weaviate from 'weaviate-client'
import { silentLogger } from '../../src/observability/logger.ts'
import { WeaviateStore, type WeaviateConfig } from '../../src/stores/weaviate.ts'
import { className } from '../../src/stores/weaviate-names.ts'
import type { StoreUnderTest, StoredRecord } from './stores-under-test.ts'

export const weaviateUrl = process.env.VECTORIZE_TEST_WEAVIATE_URL
export const skipWeaviate = weaviateUrl
  ? false
  : 'VECTORIZE_TEST_WEAVIATE_URL is unset: start Weaviate with `scripts/services.sh up weaviate` and eval "$(scripts/services.sh env)"'

export function weaviateConfig(overrides: Partial<WeaviateConfig> = {}): WeaviateConfig {
  return {
    url: weaviateUrl ?? 'http://127.0.0.1:18080',
    grpc_port: Number(process.env.VECTORIZE_TEST_WEAVIATE_GRPC_PORT ?? 15051),
    api_key: '',
    tls: false,
    timeout_ms: 30_000,
    batch_size: 200,
    ...overrides,
  }
}

export function openWeaviate(overrides: Partial<WeaviateConfig> = {}): Promise<WeaviateStore> {
  return WeaviateStore.create(weaviateConfig(overrides), { logger: silentLogger })
}

/** The environment that points the CLI at the test server with Weaviate as the store. */
export function weaviateEnv(): Record<string, string> {
  const config = weaviateConfig()
  return {
    VECTORIZE_WORKER_VECTOR_DATABASES_DEFAULT: 'weaviate',
    VECTORIZE_WORKER_VECTOR_DATABASES_WEAVIATE_URL: config.url,
    VECTORIZE_WORKER_VECTOR_DATABASES_WEAVIATE_GRPC_PORT: String(config.grpc_port),
  }
}

/** A fresh collection name (Weaviate keeps classes between runs). */
export function weaviateCollection(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`
}

/** Every object of a collection, read with the SDK: the record ids as stored, in any order. */
export async function storedRecordIds(collection: string): Promise<string[]> {
  return (await storedObjects(collection)).map((o) => o.id)
}

/**
 * Every object of a collection, read with the SDK: record id, task id and object UUID. Pages with
 * the `after` cursor itself: weaviate-client 3.12.0's `iterator()` fetches a page of 100 for every
 * object it yields (its cache is refilled on each `next()`), which took over 3 min for 10,000.
 */
export async function storedObjects(collection: string): Promise<StoredRecord[]> {
  const config = weaviateConfig()
  const url = new URL(config.url)
  const client = await weaviate.connectToCustom({
    httpHost: url.hostname,
    httpPort: Number(url.port),
    grpcHost: url.hostname,
    grpcPort: config.grpc_port,
  })
  try {
    const objects: StoredRecord[] = []
    const { query } = client.collections.use(className(collection))
    for (let after: string | undefined; ;) {
      const page = await query.fetchObjects({
        limit: PAGE,
        returnProperties: ['recordId', 'taskId'],
        ...(after === undefined ? {} : { after }),
      })
      for (const object of page.objects) {
        const { recordId, taskId } = object.properties as { recordId: string; taskId: string }
        objects.push({ id: recordId, taskId, objectId: object.uuid })
      }
      if (page.objects.length < PAGE) return objects
      after = page.objects.at(-1)?.uuid
    }
  } finally {
    await client.close()
  }
}

/** Objects per page of storedObjects. */
const PAGE = 1_000

/** The test server as the workers' store (`vector_databases.default: weaviate`). */
export const weaviateUnderTest: StoreUnderTest = {
  name: 'weaviate',
  env: weaviateEnv,
  collection: weaviateCollection,
  records: (_ws, collection) => storedObjects(collection),
}
