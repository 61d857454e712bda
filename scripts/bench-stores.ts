/**
 * Store figures on the same data (issues 4 and 12): 10,000 × 384-d vectors with three small
 * metadata fields, written through the VectorStore contract, then search latency (k=10)
 * unfiltered and filtered.
 * - LanceDB: always, in a temporary directory.
 * - Weaviate, when VECTORIZE_TEST_WEAVIATE_URL is set (scripts/services.sh env): vectorize's
 *   adapter against Weaviate's official Python client (pinned, in a venv this script prepares) on
 *   the same server, runs alternating, with the server's CPU-seconds and the load average, and the
 *   ratio of the best vectorize mode to the best Python mode (bench/stores-weaviate.ts).
 * - Qdrant: on the test stand-in (its speed is not Qdrant's), and on QDRANT_URL when set
 *   (bench/stores-qdrant.ts).
 * Prints a table and a `JSON` line, and writes the JSON to --json (default .bench/stores.json).
 *   npm run build && npm run bench:stores [-- --rows N --dims N --rounds N --only weaviate,qdrant]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { silentLogger } from '../src/observability/logger.ts'
import { intArg } from './bench/args.ts'
import { load1, machineInfo } from './bench/machine.ts'
import { benchQdrant } from './bench/stores-qdrant.ts'
import { formatLatency, ratio, searches, summarise, upsertAll } from './bench/stores-common.ts'
import { compareWeaviate } from './bench/stores-weaviate.ts'
import { benchRecords, vectors } from './bench/vectors.ts'

const usage =
  'usage: npm run bench:stores -- [--rows 10000] [--dims 384] [--rounds 3] [--only lancedb,weaviate,qdrant] [--json FILE]'
const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000' },
    dims: { type: 'string', default: '384' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string', default: 'lancedb,weaviate,qdrant' },
    json: { type: 'string', default: join('.bench', 'stores.json') },
  },
})
const rows = intArg('rows', args.rows, 1, usage)
const dims = intArg('dims', args.dims, 1, usage)
const rounds = intArg('rounds', args.rounds, 1, usage)
const only = new Set(args.only.split(','))
const say = (line: string) => console.log(line)

const vector = vectors(dims)
const data = benchRecords(rows, vector)
const probes = Array.from({ length: 200 }, vector)

async function lancedb(dir: string) {
  const { LanceDbStore } = await import('../src/stores/lancedb.ts')
  const store = await LanceDbStore.create({ path: dir }, { logger: silentLogger })
  try {
    const spec = { name: 'bench', dimensions: dims, distance: 'cosine' as const, model: 'b@fp32' }
    await store.ensureCollection(spec, { signal: new AbortController().signal })
    const vectorsPerSecond = await upsertAll('lancedb', store, 'bench', data)
    return { vectorsPerSecond, search: await searches(store, 'bench', probes, rows) }
  } finally {
    await store.close()
  }
}

async function weaviate(tmp: string) {
  const url = process.env.VECTORIZE_TEST_WEAVIATE_URL
  if (url === undefined || url === '') {
    say(
      '\nweaviate: skipped (VECTORIZE_TEST_WEAVIATE_URL is unset; eval "$(scripts/services.sh env)")',
    )
    return undefined
  }
  const grpcPort = Number(process.env.VECTORIZE_TEST_WEAVIATE_GRPC_PORT ?? 50051)
  say(`\nweaviate ${url} (gRPC ${grpcPort}): ${rows} × ${dims}-d, ${rounds} rounds, alternating`)
  const { runs, pid, search, pythonSkipped } = await compareWeaviate({ url, grpcPort }, data, {
    probes,
    rounds,
    dims,
    tmp,
    say,
  })
  const summary = summarise(runs)
  say(
    '  mode                      median vectors/s (min–max)   median CPU-s: server, client; server cores busy',
  )
  for (const s of summary) {
    const cpu = s.medianServerCpuSeconds === undefined ? 'n/a' : s.medianServerCpuSeconds.toFixed(1)
    const cores = s.medianServerCores === undefined ? 'n/a' : s.medianServerCores.toFixed(2)
    const rate = `${s.medianVectorsPerSecond} (${s.minVectorsPerSecond}–${s.maxVectorsPerSecond})`
    say(
      `  ${`${s.client} ${s.mode}`.padEnd(24)}  ${rate.padEnd(27)}  ${cpu}, ${s.medianClientCpuSeconds.toFixed(1)}; ${cores}`,
    )
  }
  const r = ratio(summary)
  say(
    `  best vectorize / best Python: ${r === undefined ? 'n/a (no Python runs)' : `${r.toFixed(2)}×`}`,
  )
  for (const [what, l] of Object.entries(search ?? {}))
    say(`  ${what.padEnd(12)} ${formatLatency(l)}`)
  return {
    url,
    pid,
    search,
    runs,
    summary,
    ratio: r,
    ...(pythonSkipped === undefined ? {} : { pythonSkipped }),
  }
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'vectorize-bench-stores-'))
  const machine = machineInfo()
  say(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; load ${load1()} at start`)
  try {
    const result: Record<string, unknown> = { machine, rows, dims, loadAtStart: load1() }
    if (only.has('lancedb')) {
      const figures = await lancedb(join(tmp, 'lancedb'))
      say(
        `\nlancedb: ${figures.vectorsPerSecond.toFixed(0)} vectors/s (200 per upsert, one after the other)`,
      )
      for (const [what, l] of Object.entries(figures.search))
        say(`  ${what.padEnd(12)} ${formatLatency(l)}`)
      result.lancedb = figures
    }
    if (only.has('weaviate')) result.weaviate = await weaviate(tmp)
    if (only.has('qdrant')) {
      const figures = await benchQdrant(data, probes, dims, say)
      for (const f of figures) {
        const what = f.standIn
          ? 'the stand-in (an in-memory imitation in this process: the adapter’s and HTTP’s speed, not Qdrant’s)'
          : f.target
        say(`\nqdrant on ${what}: ${f.vectorsPerSecond.toFixed(0)} vectors/s (worker path)`)
        for (const [name, l] of Object.entries(f.search))
          say(`  ${name.padEnd(12)} ${formatLatency(l)}`)
        for (const [name, l] of Object.entries(f.searchWithoutIndexes ?? {})) {
          say(`  ${name.padEnd(12)} ${formatLatency(l)}  (no payload index)`)
        }
        if (f.unindexedFilters !== undefined)
          say(`  filters without a payload index: ${f.unindexedFilters}`)
      }
      result.qdrant = figures
    }
    result.loadAtEnd = load1()
    const json = JSON.stringify(result)
    say(`\nJSON ${json}`)
    await mkdir(dirname(args.json), { recursive: true })
    await writeFile(args.json, json + '\n')
    say(`written to ${args.json}`)
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}

await main()
