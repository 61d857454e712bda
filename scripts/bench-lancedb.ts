/**
 * Rough LanceDbStore figures: upsert 10,000 × 64-d vectors in batches of 500, re-upsert them
 * (all matches), then flat (unindexed) search latency, unfiltered and prefiltered.
 *   npx tsc -p tsconfig.build.json && node dist/scripts/bench-lancedb.js [rows] [dims]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { silentLogger } from '../src/observability/logger.ts'
import { LanceDbStore } from '../src/stores/lancedb.ts'
import type { FilterCondition, VectorRecord } from '../src/stores/store.ts'
import { benchRecords, vectors } from './bench/vectors.ts'

const rows = Number(process.argv[2] ?? 10_000)
const dims = Number(process.argv[3] ?? 64)
const batchSize = 500
const queries = 200
const opts = { signal: new AbortController().signal }

const vector = vectors(dims)

function records(): VectorRecord[] {
  return benchRecords(rows, vector)
}

async function upsertAll(store: LanceDbStore, name: string, all: VectorRecord[]): Promise<number> {
  const start = performance.now()
  for (let i = 0; i < all.length; i += batchSize) {
    await store.upsert(name, all.slice(i, i + batchSize), opts)
  }
  return performance.now() - start
}

async function latency(store: LanceDbStore, name: string, filter?: FilterCondition[]) {
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

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-bench-'))
  const store = await LanceDbStore.create({ path: dir }, { logger: silentLogger })
  try {
    const name = 'Bench'
    await store.ensureCollection(
      { name, dimensions: dims, distance: 'cosine', model: 'b@fp32' },
      opts,
    )
    const all = records()
    const first = await upsertAll(store, name, all)
    const again = await upsertAll(store, name, all)
    const count = await store.count(name, opts)
    console.log(`rows ${count} × ${dims}-d, batches of ${batchSize}`)
    console.log(
      `upsert (insert):  ${first.toFixed(0)} ms (${((rows / first) * 1000).toFixed(0)} rows/s)`,
    )
    console.log(
      `upsert (update):  ${again.toFixed(0)} ms (${((rows / again) * 1000).toFixed(0)} rows/s)`,
    )
    console.log(`search k=10, flat:            ${await latency(store, name)}`)
    const eq: FilterCondition[] = [{ field: 'lang', op: 'eq', value: 'fr' }]
    console.log(`search k=10, lang eq fr:      ${await latency(store, name, eq)}`)
    const range: FilterCondition[] = [{ field: 'n', op: 'lt', value: 100 }]
    console.log(`search k=10, n lt 100 (1%):   ${await latency(store, name, range)}`)
  } finally {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
