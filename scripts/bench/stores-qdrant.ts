/**
 * The Qdrant part of bench:stores: vectorize's QdrantStore on the worker's path (GroupCommitStore,
 * every 200-record upsert submitted at once), with payload indexes on the filtered fields, then
 * search latency unfiltered and filtered. Targets: the test stand-in (always, when Qdrant's API
 * description is here; an in-memory imitation in this very process, so its figures are the
 * adapter's and HTTP's, not Qdrant's), and the server at QDRANT_URL when set (QDRANT_API_KEY if it
 * wants one), where filtered searches are also timed on a collection without payload indexes.
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { silentLogger } from '../../src/observability/logger.ts'
import { GroupCommitStore } from '../../src/stores/group-commit.ts'
import { QdrantStore, type QdrantConfig } from '../../src/stores/qdrant.ts'
import type { VectorRecord } from '../../src/stores/store.ts'
import { openApiPath } from '../../test/helpers/qdrant-openapi.ts'
import { startQdrantStandIn } from '../../test/helpers/qdrant-standin.ts'
import { BATCH, latency, opts, searches, filters, type Latency } from './stores-common.ts'

export interface QdrantFigures {
  readonly target: string
  readonly standIn: boolean
  readonly vectorsPerSecond: number
  readonly search: Record<string, Latency>
  /** Filtered searches on a collection without payload indexes (real servers only). */
  readonly searchWithoutIndexes?: Record<string, Latency>
  readonly unindexedFilters?: number
}

let standInUrl: string | undefined

const indexes = [
  { field: 'lang', type: 'keyword' },
  { field: 'n', type: 'float' },
] as const

function config(url: string, apiKey: string, withIndexes: boolean): QdrantConfig {
  return {
    url,
    api_key: apiKey,
    timeout_ms: 120_000,
    batch_size: 256,
    max_batch_bytes: 8 * 1024 * 1024,
    concurrency: 2,
    payload_indexes: withIndexes ? indexes : [],
  }
}

/** Deletes a benchmark collection (QdrantStore has no drop; a benchmark should leave none). */
async function drop(url: string, apiKey: string, name: string): Promise<void> {
  if (url === standInUrl) return // the stand-in has no DELETE; it is closed afterwards anyway
  const headers = apiKey === '' ? undefined : { 'api-key': apiKey }
  await fetch(`${url}/collections/${name}`, { method: 'DELETE', headers })
}

/** A fresh collection on `url`, written on the worker's path; returns the store and vectors/s. */
async function load(cfg: QdrantConfig, data: VectorRecord[], dims: number) {
  const store = new GroupCommitStore(await QdrantStore.create(cfg, { logger: silentLogger }), {
    maxRecords: 2048,
  })
  const name = `Bench${randomBytes(4).toString('hex')}`
  await store.ensureCollection(
    { name, dimensions: dims, distance: 'cosine', model: 'b@fp32' },
    opts,
  )
  const start = performance.now()
  const pieces = Array.from({ length: Math.ceil(data.length / BATCH) }, (_, i) =>
    data.slice(i * BATCH, (i + 1) * BATCH),
  )
  const results = await Promise.all(pieces.map((p) => store.upsert(name, p, opts)))
  const rate = (data.length / (performance.now() - start)) * 1000
  const failed = results.reduce((n, r) => n + r.failed.length, 0)
  if (failed > 0) throw new Error(`qdrant: ${failed} records failed`)
  return { store, name, rate }
}

async function measure(
  url: string,
  apiKey: string,
  data: VectorRecord[],
  probes: readonly Float32Array[],
  dims: number,
) {
  const { store, name, rate } = await load(config(url, apiKey, true), data, dims)
  try {
    return { vectorsPerSecond: rate, search: await searches(store, name, probes, data.length) }
  } finally {
    await store.close()
    await drop(url, apiKey, name)
  }
}

/** Filtered latencies on a collection without payload indexes: what a scan costs. */
async function withoutIndexes(
  url: string,
  apiKey: string,
  data: VectorRecord[],
  probes: readonly Float32Array[],
  dims: number,
) {
  const { store, name } = await load(config(url, apiKey, false), data, dims)
  try {
    return {
      'lang eq fr': await latency(store, name, probes, [...filters['lang eq fr']]),
      'n lt 1%': await latency(store, name, probes, [...filters['n lt 1%'](data.length)]),
    }
  } finally {
    await store.close()
    await drop(url, apiKey, name)
  }
}

export async function benchQdrant(
  data: VectorRecord[],
  probes: readonly Float32Array[],
  dims: number,
  say: (line: string) => void,
): Promise<QdrantFigures[]> {
  const figures: QdrantFigures[] = []
  const openApi = openApiPath()
  if (openApi === undefined) {
    say(
      'qdrant stand-in: skipped (no Qdrant OpenAPI description; see test/helpers/qdrant-openapi.ts)',
    )
  } else {
    const key = 'bench-key'
    const standIn = await startQdrantStandIn({ openApi, apiKey: key })
    standInUrl = standIn.url
    try {
      const measured = await measure(standIn.url, key, data, probes, dims)
      figures.push({
        target: 'stand-in',
        standIn: true,
        ...measured,
        unindexedFilters: standIn.unindexedFilters.length,
      })
    } finally {
      await standIn.close()
    }
  }
  const url = process.env.QDRANT_URL
  if (url === undefined || url === '') {
    say('qdrant server: skipped (QDRANT_URL is unset)')
    return figures
  }
  const apiKey = process.env.QDRANT_API_KEY ?? ''
  const measured = await measure(url, apiKey, data, probes, dims)
  const searchWithoutIndexes = await withoutIndexes(url, apiKey, data, probes, dims)
  figures.push({ target: url, standIn: false, ...measured, searchWithoutIndexes })
  return figures
}
