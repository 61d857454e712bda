/**
 * Kafka end to end on the real model (issue 12, item 5; a benchmark, never asserted in tests):
 * for each worker count N (default 1, 2, 3), a fresh 6-partition tasks topic holds a backlog of
 * short one-text `text` tasks (or `--kind batch` tasks) submitted with `vectorize submit`; then N
 * `vectorize worker` processes in one consumer group work through it with all-MiniLM-L6-v2 (from
 * ./models: `npm run models:real`) into Weaviate (`vector_databases.default: weaviate`). Everything
 * is read back as a client of the system would: the status and results topics, and the group's lag
 * from its committed offsets.
 *
 *   npm run models:real && npm run build && npm run bench:kafka -- [options]
 *
 * Per row: tasks/s and texts/s (first `started` → last `succeeded`), task latency p50/p95 (the
 * results' `timings_ms.total`: start → result), the lag drain time (first `started`, with the
 * whole backlog waiting → committed lag 0), CPU-seconds of each worker, of the broker and of
 * Weaviate over the processing window (from /proc: the broker and Weaviate are found by the port
 * they listen on, or VECTORIZE_BENCH_KAFKA_PID / VECTORIZE_BENCH_WEAVIATE_PID), the figure per core
 * (tasks per worker CPU-second: what one worker does with a core to itself), the load average and
 * each worker's peak RSS. The broker and Weaviate are shared services: their CPU-seconds include
 * whatever else used them meanwhile. Names are fresh per run and removed afterwards.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { packageRoot } from '../src/cli/package-root.ts'
import { loadConfig } from '../src/config/load.ts'
import type { Config } from '../src/config/schema.ts'
import { configSchema } from '../src/config/schema.ts'
import { createClient } from '../src/kafka/client.ts'
import { silentLogger } from '../src/observability/logger.ts'
import { intArg } from './bench/args.ts'
import { compact } from './bench/format.ts'
import { runOnce, type Target } from './bench/kafka-run.ts'
import { setFlags, type StoreTarget } from './bench/kafka-setup.ts'
import type { Run } from './bench/kafka-summary.ts'
import { costTable, throughputTable } from './bench/kafka-table.ts'
import { machineInfo, load1 } from './bench/machine.ts'
import { median } from './bench/measure.ts'
import { prepareModel } from './bench/model.ts'
import { listenerPid } from './bench/processes.ts'
import { corpusFile } from './bench/workloads.ts'

const usage = `usage: npm run bench:kafka -- [options]
  --workers 1,2,3        worker processes per row (default 1,2,3)
  --concurrency C[,C..]  processing.max_concurrent_tasks per worker; one row per worker count and value
                         (default: the workers' configured value)
  --tasks N              tasks in the backlog (default 3000)
  --kind text|batch      one-text text tasks (default) or batch tasks of --batch-items texts (default 32)
  --partitions P         partitions of the tasks topic (default 6)
  --model NAME           default sentence-transformers/all-MiniLM-L6-v2 (npm run models:real);
                         vectorize-test/* models are generated into fixtures/models
  --models-dir DIR       default ./models (fixtures/models for vectorize-test/*)
  --store weaviate|lancedb   default weaviate, at VECTORIZE_TEST_WEAVIATE_URL / _GRPC_PORT
                         (default http://127.0.0.1:18080, gRPC 15051)
  --brokers H:P[,H:P]    default VECTORIZE_TEST_KAFKA_BROKERS or 127.0.0.1:19092
  --set KEY=VALUE        a worker setting, as for the CLI (repeatable), e.g. models.threads=1
  --sizing-cores C       cores of the worker the sizing line is for (default 2: k8s/worker-deployment.yaml)
  --sizing-drain-s T     seconds of a worker's work KEDA's lagThreshold should stand for (default 30)
  --sample-ms S          lag/CPU sampling interval (default 250)
  --timeout-s T          per row (default 900)
  --json FILE            where the JSON goes (default .bench/kafka.json)`

const { values: args } = parseArgs({
  options: {
    workers: { type: 'string', default: '1,2,3' },
    concurrency: { type: 'string' },
    tasks: { type: 'string', default: '3000' },
    kind: { type: 'string', default: 'text' },
    'batch-items': { type: 'string', default: '32' },
    partitions: { type: 'string', default: '6' },
    model: { type: 'string', default: 'sentence-transformers/all-MiniLM-L6-v2' },
    'models-dir': { type: 'string' },
    store: { type: 'string', default: 'weaviate' },
    brokers: { type: 'string' },
    set: { type: 'string', multiple: true, default: [] },
    'sizing-cores': { type: 'string', default: '2' },
    'sizing-drain-s': { type: 'string', default: '30' },
    'sample-ms': { type: 'string', default: '250' },
    'timeout-s': { type: 'string', default: '900' },
    json: { type: 'string', default: join('.bench', 'kafka.json') },
    help: { type: 'boolean', default: false },
  },
})
if (args.help) {
  console.log(usage)
  process.exit(0)
}

const ROOT = packageRoot()
const counts = (name: string, raw: string) => raw.split(',').map((v) => intArg(name, v, 1, usage))
const kind = args.kind === 'batch' ? 'batch' : args.kind === 'text' ? 'text' : undefined
if (!kind || !['weaviate', 'lancedb'].includes(args.store)) {
  console.error(`--kind must be text or batch and --store weaviate or lancedb\n\n${usage}`)
  process.exit(2)
}

/** Checked before the first row, used after the last. */
const SIZING = {
  cores: intArg('sizing-cores', args['sizing-cores'], 1, usage),
  drainS: intArg('sizing-drain-s', args['sizing-drain-s'], 1, usage),
}

function storeTarget(): StoreTarget {
  if (args.store === 'lancedb') return { kind: 'lancedb' }
  const url = process.env.VECTORIZE_TEST_WEAVIATE_URL ?? 'http://127.0.0.1:18080'
  const grpcPort = Number(process.env.VECTORIZE_TEST_WEAVIATE_GRPC_PORT ?? 15051)
  return { kind: 'weaviate', url, grpcPort }
}

/** The process behind a local endpoint ("host:port" or a URL), for its CPU-seconds. */
function localPid(endpoint: string, override: string | undefined): number | undefined {
  const { hostname, port } = new URL(endpoint.includes('://') ? endpoint : `kafka://${endpoint}`)
  const local = hostname === 'localhost' || hostname.startsWith('127.') || hostname === '[::1]'
  return override || local ? listenerPid(Number(port), override) : undefined
}

async function assertWeaviateReady(store: StoreTarget): Promise<void> {
  if (store.kind !== 'weaviate') return
  const res = await fetch(`${store.url}/v1/.well-known/ready`).catch((err: Error) => err)
  if (res instanceof Error || !res.ok) {
    const why = res instanceof Error ? res.message : `HTTP ${res.status}`
    throw new Error(
      `Weaviate at ${store.url} is not ready (${why}): start it (scripts/services.sh up weaviate) or use --store lancedb`,
    )
  }
}

/** The worker settings the rows run with: the caller's VECTORIZE_WORKER_* and --set. */
async function workerSettings(): Promise<Config> {
  const flags = setFlags(args.set)
  const { config } = await loadConfig({ env: process.env, flags, cwd: tmpdir() })
  return config
}

function header(config: Config, store: StoreTarget, target: Target, tasks: number): string {
  const machine = machineInfo()
  const m = config.models
  const w = config.vector_databases.weaviate
  const where = store.kind === 'weaviate' ? `Weaviate ${store.url}` : 'LanceDB'
  return (
    `Kafka end to end: ${target.model} (${m.dtype}, models.threads ${m.threads || 'one per core'}), ` +
    `${where}${store.kind === 'weaviate' ? ` (batch_size ${w.batch_size}, concurrency ${w.concurrency})` : ''}, ` +
    `${tasks} ${kind} tasks${kind === 'batch' ? ` of ${args['batch-items']} texts` : ''}, ` +
    `${target.partitions} partitions; ${machine.cores} cores (${machine.cpu}), load ${load1()} at start`
  )
}

async function main(): Promise<void> {
  const config = await workerSettings()
  const store = storeTarget()
  await assertWeaviateReady(store)
  const generated = args.model.startsWith('vectorize-')
  const modelsDir = args['models-dir'] ?? join(ROOT, generated ? 'fixtures/models' : 'models')
  await prepareModel(args.model, modelsDir, config.models.dtype).catch((err: Error) => {
    throw new Error(`${err.message}\n(the real models come from: npm run models:real)`)
  })
  const brokers = (args.brokers ?? process.env.VECTORIZE_TEST_KAFKA_BROKERS ?? '127.0.0.1:19092')
    .split(',')
    .map((b) => b.trim())
  const partitions = intArg('partitions', args.partitions, 1, usage)
  const client = await createClient(configSchema.parse({ kafka: { brokers } }).kafka, silentLogger)
  const target: Target = {
    client,
    brokers,
    partitions,
    model: args.model,
    modelsDir,
    corpus: corpusFile(ROOT),
    store,
    sets: args.set,
    timeoutMs: intArg('timeout-s', args['timeout-s'], 1, usage) * 1000,
    sampleMs: intArg('sample-ms', args['sample-ms'], 10, usage),
    brokerPid: localPid(brokers[0]!, process.env.VECTORIZE_BENCH_KAFKA_PID),
    storePid:
      store.kind === 'weaviate'
        ? localPid(store.url, process.env.VECTORIZE_BENCH_WEAVIATE_PID)
        : undefined,
  }
  const tasks = intArg('tasks', args.tasks, 1, usage)
  const batchItems = intArg('batch-items', args['batch-items'], 1, usage)
  const concurrencies = args.concurrency
    ? counts('concurrency', args.concurrency)
    : [config.processing.max_concurrent_tasks]
  const title = header(config, store, target, tasks)
  console.log(title)
  const runs: Run[] = []
  for (const workers of counts('workers', args.workers)) {
    for (const concurrency of concurrencies) {
      const run = await runOnce({ workers, concurrency, kind: kind!, tasks, batchItems }, target)
      console.log(`  ${workers} worker(s), ${concurrency} in flight: ${run.tasksPerS} tasks/s`)
      runs.push(run)
    }
  }
  report(title, runs, store, target)
  const sizing = sizingOf(runs)
  if (sizing) console.log(`\n${sizingLine(sizing)}`)
  const json = JSON.stringify({ bench: 'kafka', title, machine: machineInfo(), runs, sizing })
  console.log(`\nJSON ${json}`)
  await mkdir(dirname(args.json), { recursive: true })
  await writeFile(args.json, json + '\n')
  console.log(`written to ${args.json}`)
}

function report(title: string, runs: Run[], store: StoreTarget, target: Target) {
  const storeName = store.kind === 'weaviate' ? 'Weaviate' : undefined
  console.log(`\n${title}\n`)
  console.log(throughputTable(runs))
  console.log()
  console.log(costTable(runs, storeName))
  const missing = [
    target.brokerPid === undefined && 'the broker',
    store.kind === 'weaviate' && target.storePid === undefined && 'Weaviate',
  ].filter(Boolean)
  console.log(
    `\nin flight: processing.max_concurrent_tasks per worker. p50/p95: task latency as the ` +
      `worker reports it (start → result; the wait in the backlog excluded). drain s: first task ` +
      `started, whole backlog waiting → committed lag 0. tasks/CPU-s: tasks per worker CPU-second ` +
      `over the window, i.e. the tasks/s one worker gives per core it has to itself. ` +
      `${storeName ? `broker and ${storeName}` : 'broker'} CPU-s: shared servers, anything else ` +
      `using them included.` +
      (missing.length > 0 ? ` Not found (CPU shows ?): ${missing.join(', ')}.` : ''),
  )
}

/**
 * The figures the README's sizing uses: tasks/s per worker core (median over the rows), what a
 * worker of --sizing-cores gives, the lag it drains in --sizing-drain-s (KEDA's lagThreshold),
 * and the largest worker RSS.
 */
function sizingOf(runs: readonly Run[]) {
  const perCore = runs.flatMap((r) => r.tasksPerWorkerCpuS ?? [])
  const rss = runs.flatMap((r) => r.peakRssMiB.filter((m) => m !== undefined))
  if (perCore.length === 0) return undefined
  const { cores, drainS } = SIZING
  const tasksPerCoreS = median(perCore)
  return {
    tasksPerCoreS: Math.round(tasksPerCoreS * 10) / 10,
    tasksPerCoreRange: [Math.min(...perCore), Math.max(...perCore)],
    cores,
    workerTasksPerS: Math.round(tasksPerCoreS * cores * 10) / 10,
    drainS,
    lagThreshold: Math.round(tasksPerCoreS * cores * drainS),
    peakRssMiB: rss.length > 0 ? Math.max(...rss) : undefined,
  }
}

function sizingLine(s: NonNullable<ReturnType<typeof sizingOf>>): string {
  const [lo, hi] = s.tasksPerCoreRange
  return (
    `Sizing: ${compact(s.tasksPerCoreS)} ${kind} tasks/s per worker core (median of the rows, ` +
    `${compact(lo!)}–${compact(hi!)}); a ${s.cores}-core worker: ${compact(s.workerTasksPerS)} ` +
    `tasks/s, ${s.drainS} s of its work = ` +
    `lagThreshold ${s.lagThreshold}; peak worker RSS ${s.peakRssMiB ?? '?'} MiB.`
  )
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(1)
  },
)
