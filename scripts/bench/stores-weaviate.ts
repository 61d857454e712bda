/**
 * vectorize's Weaviate adapter against Weaviate's official Python client on the same server and
 * the same objects (issue 12): runs alternate (every mode once per round), each into a fresh class
 * that is deleted afterwards, and each reports vectors/s of the write alone, the server's
 * CPU-seconds during it, and the 1-minute load average when it ended.
 *
 * vectorize modes, with the worker's default settings: `worker` is the path a worker takes under a
 * backlog (GroupCommitStore over WeaviateStore as main.ts wires them, every 200-record upsert
 * submitted at once: they go out in groups of up to 2,048 records, cut into `batch_size` batches
 * with `concurrency` in flight);
 * `sequential` awaits each 200-record upsert before the next (the call shape of insert_many).
 * Python modes (scripts/bench/weaviate_py_bench.py): insert_many (200 per call, one after the
 * other), fixed_size (200 per batch, 4 requests in flight), dynamic.
 * Set-up is outside the timed window on both sides: the Python run connects and creates its class
 * (with the metadata properties) first; the vectorize run creates its collection and writes one
 * record first, which connects and adds the metadata properties (once per collection in a
 * deployment, ~0.3 s).
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import weaviate from 'weaviate-client'
import { packageRoot } from '../../src/cli/package-root.ts'
import { loadConfig } from '../../src/config/load.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { GroupCommitStore } from '../../src/stores/group-commit.ts'
import type { CollectionSpec, VectorRecord, VectorStore } from '../../src/stores/store.ts'
import { WeaviateStore, type WeaviateConfig } from '../../src/stores/weaviate.ts'
import { className } from '../../src/stores/weaviate-names.ts'
import { load1 } from './machine.ts'
import { weaviatePython } from './python-venv.ts'
import { searches, type Latency } from './stores-common.ts'
import { cpuSeconds } from './processes.ts'
import { weaviatePid, writePythonInputs } from './weaviate-server.ts'

export interface WeaviateTarget {
  readonly url: string
  readonly grpcPort: number
}

export interface WeaviateRun {
  readonly client: 'vectorize' | 'python'
  readonly mode: string
  readonly round: number
  readonly vectorsPerSecond: number
  readonly seconds: number
  readonly serverCpuSeconds: number | undefined
  /** CPU-seconds of the client's own process during the write. */
  readonly clientCpuSeconds: number
  readonly load1: number
}

/** Records per upsert (a task's worth) and per Python batch. */
const BATCH = 200
/** Python's fixed_size requests in flight, as issue 12 measured it. */
const PY_CONCURRENCY = 4
const GROUP_RECORDS = 2048 // main.ts openStore
const opts = { signal: new AbortController().signal }

/** The worker's default settings (batch_size, concurrency) for this server. */
async function storeConfig(target: WeaviateTarget): Promise<WeaviateConfig> {
  const { config } = await loadConfig({ env: {}, flags: [], cwd: tmpdir() })
  const defaults = config.vector_databases.weaviate
  return { ...defaults, url: target.url, grpc_port: target.grpcPort, timeout_ms: 120_000 }
}

function batches(records: readonly VectorRecord[]): VectorRecord[][] {
  const out: VectorRecord[][] = []
  for (let i = 0; i < records.length; i += BATCH) out.push(records.slice(i, i + BATCH))
  return out
}

/** Writes every record through `store`; a failed record ends the benchmark. */
async function write(mode: string, store: VectorStore, name: string, data: VectorRecord[]) {
  const check = ({ failed }: { failed: readonly unknown[] }) => {
    if (failed.length > 0) throw new Error(`vectorize ${mode}: ${failed.length} records failed`)
  }
  if (mode === 'worker') {
    const results = await Promise.all(batches(data).map((b) => store.upsert(name, b, opts)))
    results.forEach(check)
  } else {
    for (const b of batches(data)) check(await store.upsert(name, b, opts))
  }
}

async function vectorizeRun(
  target: WeaviateTarget,
  mode: string,
  spec: CollectionSpec,
  data: VectorRecord[],
  pid: number | undefined,
  probes?: readonly Float32Array[],
) {
  const inner = await WeaviateStore.create(await storeConfig(target), { logger: silentLogger })
  const store =
    mode === 'worker' ? new GroupCommitStore(inner, { maxRecords: GROUP_RECORDS }) : inner
  try {
    await store.ensureCollection(spec, opts)
    // Set-up, as the Python run's connect and class creation: the connection, and the metadata
    // properties the first write adds (~0.3 s, once per collection). The record is written again.
    await store.upsert(spec.name, data.slice(0, 1), opts)
    const cpu0 = cpuSeconds(pid)
    const own0 = process.cpuUsage()
    const t0 = performance.now()
    await write(mode, store, spec.name, data)
    const seconds = (performance.now() - t0) / 1000
    const own = process.cpuUsage(own0)
    const cpu1 = cpuSeconds(pid)
    const stored = await store.count(spec.name, opts)
    if (stored !== data.length) throw new Error(`vectorize ${mode}: ${stored} of ${data.length}`)
    const search = probes && (await searches(store, spec.name, probes, data.length))
    return {
      ...(search && { search }),
      seconds,
      serverCpuSeconds: cpu1 === undefined ? undefined : cpu1 - cpu0!,
      clientCpuSeconds: (own.user + own.system) / 1e6,
    }
  } finally {
    await store.close()
  }
}

async function pythonRun(
  python: string,
  args: readonly string[],
): Promise<{ seconds: number; serverCpuSeconds: number | undefined; clientCpuSeconds: number }> {
  const script = join(packageRoot(), 'scripts', 'bench', 'weaviate_py_bench.py')
  const child = spawn(python, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr.on('data', (c: Buffer) => (err += c.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  const line = out.trim().split('\n').at(-1) ?? ''
  if (code !== 0 || !line.startsWith('{')) {
    throw new Error(`python ${args.join(' ')} exited ${code}: ${err.slice(-1500)}`)
  }
  const r = JSON.parse(line) as {
    seconds: number
    failed: number
    stored: number
    vectors: number
    server_cpu_s: number | null
    client_cpu_s: number
  }
  if (r.failed > 0 || r.stored !== r.vectors) {
    throw new Error(`python ${args.join(' ')}: ${r.failed} failed, ${r.stored}/${r.vectors} stored`)
  }
  return {
    seconds: r.seconds,
    serverCpuSeconds: r.server_cpu_s ?? undefined,
    clientCpuSeconds: r.client_cpu_s,
  }
}

async function dropClass(target: WeaviateTarget, cls: string): Promise<void> {
  const url = new URL(target.url)
  const client = await weaviate.connectToCustom({
    httpHost: url.hostname,
    httpPort: Number(url.port || 80),
    grpcHost: url.hostname,
    grpcPort: target.grpcPort,
  })
  try {
    await client.collections.delete(cls)
  } finally {
    await client.close()
  }
}

export interface CompareOptions {
  /** Search latency is timed on the first run's collection with these query vectors. */
  readonly probes: readonly Float32Array[]
  readonly rounds: number
  readonly dims: number
  readonly tmp: string
  readonly say: (line: string) => void
}

/** Every run, alternating modes round by round; Python modes are skipped (saying why) if need be. */
export async function compareWeaviate(
  target: WeaviateTarget,
  data: VectorRecord[],
  { probes, rounds, dims, tmp, say }: CompareOptions,
): Promise<{
  runs: WeaviateRun[]
  pid: number | undefined
  search?: Record<string, Latency>
  pythonSkipped?: string
}> {
  const port = Number(new URL(target.url).port || 80)
  const pid = weaviatePid(port)
  say(pid === undefined ? 'weaviate server pid: not found (CPU-s n/a)' : `weaviate pid ${pid}`)
  const venv = await weaviatePython(say)
  const pythonSkipped = 'skip' in venv ? venv.skip : undefined
  if (pythonSkipped !== undefined) say(`python client: skipped (${pythonSkipped})`)
  const spec = (name: string): CollectionSpec => ({
    name,
    dimensions: dims,
    distance: 'cosine',
    model: 'bench@fp32',
  })
  const pyClass = `BenchPy_${randomBytes(4).toString('hex')}`
  const files = await writePythonInputs(tmp, pyClass, spec('bench_py'), data)
  const common = [
    ...['--schema', files.schema, '--objects', files.objects, '--vectors', files.vectors],
    ...['--http-port', String(port), '--grpc-port', String(target.grpcPort)],
    ...['--host', new URL(target.url).hostname, '--dims', String(dims)],
    ...['--batch-size', String(BATCH), '--concurrency', String(PY_CONCURRENCY)],
    ...(pid === undefined ? [] : ['--server-pid', String(pid)]),
  ]
  const modes = [
    ...['worker', 'sequential'].map((mode) => ({ client: 'vectorize' as const, mode })),
    ...(pythonSkipped !== undefined ? [] : ['insert_many', 'fixed_size', 'dynamic']).map(
      (mode) => ({ client: 'python' as const, mode }),
    ),
  ]
  const runs: WeaviateRun[] = []
  let search: Record<string, Latency> | undefined
  for (let round = 1; round <= rounds; round++) {
    for (const { client, mode } of modes) {
      let result
      if (client === 'vectorize') {
        const name = `bench_${randomBytes(4).toString('hex')}`
        const timeSearch = search === undefined ? probes : undefined
        const { search: found, ...measured } = await vectorizeRun(
          target,
          mode,
          spec(name),
          data,
          pid,
          timeSearch,
        ).finally(() => dropClass(target, className(name)))
        search ??= found
        result = measured
      } else {
        result = await pythonRun((venv as { python: string }).python, [...common, '--mode', mode])
      }
      const run = {
        client,
        mode,
        round,
        ...result,
        vectorsPerSecond: data.length / result.seconds,
        load1: load1(),
      }
      runs.push(run)
      const cpu = run.serverCpuSeconds === undefined ? 'n/a' : run.serverCpuSeconds.toFixed(1)
      const own = run.clientCpuSeconds.toFixed(1)
      const busy =
        run.serverCpuSeconds === undefined
          ? ''
          : ` (server ${(run.serverCpuSeconds / run.seconds).toFixed(2)} cores busy)`
      say(
        `  round ${round} ${`${client} ${mode}`.padEnd(22)} ${run.vectorsPerSecond.toFixed(0).padStart(6)} vectors/s  CPU-s server ${cpu}, client ${own}${busy}  load ${run.load1}`,
      )
    }
  }
  return {
    runs,
    pid,
    ...(search && { search }),
    ...(pythonSkipped === undefined ? {} : { pythonSkipped }),
  }
}
