/** Shared set-up of the Qdrant tests: a store on a fresh stand-in, or on QDRANT_URL. */
import * as assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { silentLogger } from '../../src/observability/logger.ts'
import { QdrantStore, type QdrantConfig } from '../../src/stores/qdrant.ts'
import { openApiPath, OPENAPI_FILE } from '../helpers/qdrant-openapi.ts'
import {
  startQdrantStandIn,
  type QdrantStandIn,
  type StandInOptions,
} from '../helpers/qdrant-standin.ts'
import { EdgeEngine } from '../helpers/qdrant-standin-edge.ts'
import type { StoreHandle } from './contract-helpers.ts'

export const openApi = openApiPath()
export const noOpenApi =
  openApi === undefined
    ? `Qdrant's OpenAPI description (../shared/specs/${OPENAPI_FILE}, or VECTORIZE_QDRANT_OPENAPI) is absent`
    : false

/** The key every stand-in of these tests wants: each request of the store must carry it. */
export const STAND_IN_KEY = 'stand-in-key'

export function qdrantConfig(url: string, overrides: Partial<QdrantConfig> = {}): QdrantConfig {
  return {
    url,
    api_key: '',
    timeout_ms: 10_000,
    batch_size: 256,
    max_batch_bytes: 8 * 1024 * 1024,
    concurrency: 2,
    ...overrides,
  }
}

export function openStore(url: string, overrides: Partial<QdrantConfig> = {}) {
  return QdrantStore.create(qdrantConfig(url, overrides), { logger: silentLogger })
}

/**
 * A stand-in and a store on it; cleanup closes both and asserts the API was respected. With
 * `python`, the stand-in's engine is Qdrant Edge (qdrant-standin-edge.ts).
 */
export async function standInHandle(
  overrides: Partial<QdrantConfig> = {},
  standInOptions: Omit<StandInOptions, 'openApi' | 'engine'> = {},
  python?: string,
): Promise<StoreHandle & { standIn: QdrantStandIn }> {
  if (openApi === undefined) throw new Error(String(noOpenApi))
  const engine = python === undefined ? undefined : new EdgeEngine(python)
  const standIn = await startQdrantStandIn({
    openApi,
    apiKey: STAND_IN_KEY,
    ...standInOptions,
    engine,
  })
  const store = await openStore(standIn.url, { api_key: STAND_IN_KEY, ...overrides })
  return {
    store,
    standIn,
    async cleanup() {
      await store.close()
      await standIn.close()
      assert.deepEqual(standIn.violations, [], 'requests and answers follow the API description')
    },
  }
}

/** `standInHandle`, cleaned up after the test. */
export async function standInFor(
  t: TestContext,
  overrides: Partial<QdrantConfig> = {},
  standInOptions: Omit<StandInOptions, 'openApi' | 'engine'> = {},
) {
  const handle = await standInHandle(overrides, standInOptions)
  t.after(() => handle.cleanup())
  return handle
}
