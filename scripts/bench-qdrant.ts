/**
 * QdrantStore figures: upsert 10,000 × 384-d vectors in batches of 500 (insert, then update),
 * then search latency p50/p95, unfiltered and filtered, against the server at QDRANT_URL:
 *   npm run build && QDRANT_URL=http://127.0.0.1:6333 node dist/scripts/bench-qdrant.js [rows] [dims]
 * With `--stand-in` instead it runs against the test stand-in (needs its OpenAPI file): that
 * measures the adapter and HTTP, not Qdrant, and says so.
 */
import { performance } from 'node:perf_hooks'
import { silentLogger } from '../src/observability/logger.ts'
import { QdrantStore } from '../src/stores/qdrant.ts'
import type { FilterCondition, VectorRecord } from '../src/stores/store.ts'
import { openApiPath } from '../test/helpers/qdrant-openapi.ts'
import { startQdrantStandIn } from '../test/helpers/qdrant-standin.ts'
import { benchRecords, vectors } from './bench/vectors.ts'

const args = process.argv.slice(2).filter((a) => a !== '--stand-in')
const useStandIn = process.argv.includes('--stand-in')
const rows = Number(args[0] ?? 10_000)
const dims = Number(args[1] ?? 384)
const batchSize = 500
const queries = 200
const opts = { signal: new AbortController().signal }

const vector = vectors(dims)

function records(): VectorRecord[] {
  return benchRecords(rows, vector)
}

async function upsertAll(store: QdrantStore, name: string, all: VectorRecord[]): Promise<number> {
  const start = performance.now()
  for (let i = 0; i < all.length; i += batchSize) {
    const { failed } = await store.upsert(name, all.slice(i, i + batchSize), opts)
    if (failed.length > 0) throw new Error(`failed: ${JSON.stringify(failed[0])}`)
  }
  return performance.now() - start
}

async function latency(store: QdrantStore, name: string, filter?: FilterCondition[]) {
  const times: number[] = []
  for (let i = 0; i < queries; i++) {
    const start = performance.now()
    await store.search(name, { vector: vector(), k: 10, filter }, opts)
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  const at = (q: number) => (times[Math.floor(q * (times.length - 1))] ?? 0).toFixed(2)
  return `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms`
}

/** The server to measure: QDRANT_URL, or the stand-in when asked for. */
async function target(): Promise<{ url: string; close: () => Promise<void> }> {
  if (!useStandIn) {
    const url = process.env.QDRANT_URL
    if (url === undefined || url === '') {
      console.error('set QDRANT_URL to a Qdrant server, or pass --stand-in (adapter overhead only)')
      process.exit(2)
    }
    return { url, close: () => Promise.resolve() }
  }
  const openApi = openApiPath()
  if (openApi === undefined) throw new Error('the stand-in needs the Qdrant OpenAPI description')
  console.log('target: the in-memory test stand-in (figures are the adapter’s and HTTP’s)')
  return startQdrantStandIn({ openApi })
}

async function main(): Promise<void> {
  const server = await target()
  const config = {
    url: server.url,
    api_key: process.env.QDRANT_API_KEY ?? '',
    timeout_ms: 60_000,
    batch_size: 256,
    max_batch_bytes: 8 * 1024 * 1024,
    concurrency: 2,
    // the fields the filtered searches below use (vector_databases.qdrant.payload_indexes)
    payload_indexes: [
      { field: 'lang', type: 'keyword' },
      { field: 'n', type: 'float' },
    ] as const,
  }
  const store = await QdrantStore.create(config, { logger: silentLogger })
  try {
    const name = `Bench${Date.now().toString(36)}`
    await store.ensureCollection(
      { name, dimensions: dims, distance: 'cosine', model: 'b@fp32' },
      opts,
    )
    const all = records()
    const first = await upsertAll(store, name, all)
    const again = await upsertAll(store, name, all)
    console.log(
      `${server.url}: ${await store.count(name, opts)} vectors × ${dims}-d, ${batchSize}/call`,
    )
    console.log(
      `upsert (insert):  ${first.toFixed(0)} ms (${((rows / first) * 1000).toFixed(0)}/s)`,
    )
    console.log(
      `upsert (update):  ${again.toFixed(0)} ms (${((rows / again) * 1000).toFixed(0)}/s)`,
    )
    console.log(`search k=10:                  ${await latency(store, name)}`)
    const eq: FilterCondition[] = [{ field: 'lang', op: 'eq', value: 'fr' }]
    console.log(`search k=10, lang eq fr:      ${await latency(store, name, eq)}`)
    const range: FilterCondition[] = [{ field: 'n', op: 'lt', value: rows / 100 }]
    console.log(`search k=10, n lt 1%:         ${await latency(store, name, range)}`)
    console.log(`collection ${name} is left on the server`)
  } finally {
    await store.close()
    await server.close()
  }
}

await main()
