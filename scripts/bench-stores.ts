/**
 * Store figures on the same data (issue 4, acceptance 5): upsert 10,000 × 384-d vectors in batches
 * of 200 through the VectorStore contract, then search latency (k=10) unfiltered and filtered, for
 * each store that is reachable: LanceDB (always, in a temp directory), Weaviate when
 * VECTORIZE_TEST_WEAVIATE_URL is set (scripts/services.sh env), Qdrant when QDRANT_URL is set and
 * its adapter exists. Prints vectors/s and p50/p95.
 *   npm run build && npm run bench:stores [-- rows dims]
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { silentLogger } from '../src/observability/logger.ts'
import type { FilterCondition, VectorRecord, VectorStore } from '../src/stores/store.ts'
import { benchRecords, vectors } from './bench/vectors.ts'

const rows = Number(process.argv[2] ?? 10_000)
const dims = Number(process.argv[3] ?? 384)
const batchSize = 200
const queries = 200
const opts = { signal: new AbortController().signal }
const deps = { logger: silentLogger }

const vector = vectors(dims)
const data: VectorRecord[] = benchRecords(rows, vector)
const probes = Array.from({ length: queries }, vector)

async function latency(store: VectorStore, name: string, filter?: FilterCondition[]) {
  const times: number[] = []
  for (const v of probes) {
    const start = performance.now()
    await store.search(name, { vector: v, k: 10, filter }, opts)
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  const at = (q: number) => (times[Math.floor(q * (times.length - 1))] ?? 0).toFixed(2)
  return `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms`
}

async function bench(kind: string, store: VectorStore): Promise<void> {
  const name = `bench_${randomBytes(4).toString('hex')}`
  await store.ensureCollection(
    { name, dimensions: dims, distance: 'cosine', model: 'b@fp32' },
    opts,
  )
  const start = performance.now()
  for (let i = 0; i < rows; i += batchSize) {
    const { failed } = await store.upsert(name, data.slice(i, i + batchSize), opts)
    if (failed.length > 0) throw new Error(`${kind}: ${failed.length} records failed`)
  }
  const ms = performance.now() - start
  const count = await store.count(name, opts)
  console.log(`\n${kind}: ${count} × ${dims}-d in batches of ${batchSize}`)
  console.log(`  upsert        ${ms.toFixed(0)} ms, ${((rows / ms) * 1000).toFixed(0)} vectors/s`)
  console.log(`  search k=10   ${await latency(store, name)}`)
  const eq: FilterCondition[] = [{ field: 'lang', op: 'eq', value: 'fr' }]
  console.log(`  lang eq fr    ${await latency(store, name, eq)}`)
  const range: FilterCondition[] = [{ field: 'n', op: 'lt', value: rows / 100 }]
  console.log(`  n lt 1%       ${await latency(store, name, range)}`)
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-bench-'))
  try {
    const { LanceDbStore } = await import('../src/stores/lancedb.ts')
    const lance = await LanceDbStore.create({ path: dir }, deps)
    await bench('lancedb', lance).finally(() => lance.close())
    const url = process.env.VECTORIZE_TEST_WEAVIATE_URL
    if (url) {
      const { WeaviateStore } = await import('../src/stores/weaviate.ts')
      const grpc_port = Number(process.env.VECTORIZE_TEST_WEAVIATE_GRPC_PORT ?? 50051)
      const config = {
        url,
        grpc_port,
        api_key: '',
        tls: false,
        timeout_ms: 60_000,
        batch_size: 200,
      }
      const weaviate = await WeaviateStore.create(config, deps)
      await bench('weaviate', weaviate).finally(() => weaviate.close())
    } else console.log('\nweaviate: skipped (VECTORIZE_TEST_WEAVIATE_URL is unset)')
    if (!process.env.QDRANT_URL) console.log('qdrant: skipped (QDRANT_URL is unset)')
    else console.log('qdrant: not measured here (its adapter lives on another branch)')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
