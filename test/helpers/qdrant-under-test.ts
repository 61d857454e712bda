/**
 * Qdrant as the store of worker tests (stores-under-test.ts), on the in-memory stand-in
 * (qdrant-standin.ts) in the test's own process: the `vectorize` processes reach it over HTTP with
 * an API key, and what they stored is read from its engine. CI has no real Qdrant; the store's
 * contract suite runs against one when QDRANT_URL is set (test/stores/qdrant.test.ts).
 */
import { randomBytes } from 'node:crypto'
import type { Cleanup } from './cli.ts'
import { openApiPath, OPENAPI_FILE } from './qdrant-openapi.ts'
import { startQdrantStandIn, type QdrantStandIn } from './qdrant-standin.ts'
import { QdrantEngine } from './qdrant-standin-engine.ts'
import type { StoreUnderTest } from './stores-under-test.ts'

export const QDRANT_TEST_KEY = 'worker-test-key'

/** Why Qdrant tests skip here (no API description to check requests against), or false. */
export const skipQdrant =
  openApiPath() === undefined
    ? `Qdrant's OpenAPI description (../shared/specs/${OPENAPI_FILE}, or VECTORIZE_QDRANT_OPENAPI) is absent`
    : false

/** The environment that points `vectorize` at the stand-in with Qdrant as the store. */
export function qdrantEnv(
  standIn: QdrantStandIn,
  apiKey = QDRANT_TEST_KEY,
): Record<string, string> {
  return {
    VECTORIZE_WORKER_VECTOR_DATABASES_DEFAULT: 'qdrant',
    VECTORIZE_WORKER_VECTOR_DATABASES_QDRANT_URL: standIn.url,
    VECTORIZE_WORKER_VECTOR_DATABASES_QDRANT_API_KEY: apiKey,
  }
}

/** A stand-in wanting QDRANT_TEST_KEY, closed at cleanup, as the workers' store. */
export async function qdrantUnderTest(
  cleanup: Cleanup,
): Promise<StoreUnderTest & { readonly standIn: QdrantStandIn }> {
  const openApi = openApiPath()
  if (openApi === undefined) throw new Error(String(skipQdrant))
  const engine = new QdrantEngine()
  const standIn = await startQdrantStandIn({ openApi, engine, apiKey: QDRANT_TEST_KEY })
  cleanup(() => standIn.close())
  return {
    name: 'qdrant',
    standIn,
    env: () => qdrantEnv(standIn),
    collection: (prefix) => `${prefix}_${randomBytes(4).toString('hex')}`,
    records: (_ws, collection) =>
      Promise.resolve(
        engine.points(collection).map((p) => ({
          id: String(p.payload.id),
          taskId: String(p.payload.task_id),
          objectId: String(p.id),
        })),
      ),
  }
}
