/**
 * End-to-end throughput on Kafka (issue 3, acceptance 7; a benchmark, never asserted in tests):
 * N `vectorize worker` processes in one consumer group on a 6-partition tasks topic work through
 * the same short text tasks with the generated test model (`vectorize-test/minilm-tiny`), N = 1
 * then N = 2. Tasks are submitted with `vectorize submit` before the workers start; completion is
 * read from the status topic, as any client of the system would.
 *
 *   scripts/services.sh up kafka && npx tsc -p tsconfig.build.json &&
 *   node dist/scripts/bench-kafka.js [--tasks 6000] [--partitions 6] [--workers 1,2] [--brokers H:P]
 *
 * Per row: start-up (spawn → first task started: process start, model load, joining the group),
 * processing (first `started` → last `succeeded`, from the status records' `at`) and tasks/s over
 * it, wall (spawn → last success) and tasks/s over that, and the CPU seconds the workers used.
 * Worker settings come from VECTORIZE_WORKER_* as for any worker (e.g. ..._MODELS_THREADS); the
 * paths, the model and the Kafka names are set here. Topics and data are removed afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { packageRoot } from '../src/cli/package-root.ts'
import { configSchema } from '../src/config/schema.ts'
import { ensureTopics } from '../src/kafka/admin.ts'
import { createClient, type KafkaClient, type KafkaSettings } from '../src/kafka/client.ts'
import { generateTestModels } from '../src/models/synthetic/index.ts'
import { silentLogger } from '../src/observability/logger.ts'
import type { StatusMessage } from '../src/protocol/report.ts'
import { compact, n } from './bench/format.ts'
import { load1, machineInfo } from './bench/machine.ts'

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '6000' },
    partitions: { type: 'string', default: '6' },
    workers: { type: 'string', default: '1,2' },
    brokers: { type: 'string' },
    'timeout-s': { type: 'string', default: '600' },
  },
})
const TASKS = Number(args.tasks)
const PARTITIONS = Number(args.partitions)
const WORKER_COUNTS = args.workers.split(',').map(Number)
const TIMEOUT_MS = Number(args['timeout-s']) * 1000
const BROKERS = (args.brokers ?? process.env.VECTORIZE_TEST_KAFKA_BROKERS ?? '127.0.0.1:19092')
  .split(',')
  .map((b) => b.trim())
const MODEL = 'vectorize-test/minilm-tiny'
const ROOT = packageRoot()
const CLI = join(ROOT, 'bin', 'vectorize.js')
const MODELS_DIR = join(ROOT, 'fixtures', 'models')
const CLK_TCK = 100 // Linux's USER_HZ, what /proc/PID/stat counts in

interface Run {
  readonly workers: number
  readonly tasks: number
  readonly submitS: number
  readonly startupS: number
  readonly processingS: number
  readonly wallS: number
  readonly tasksPerS: number
  readonly wallTasksPerS: number
  readonly cpuS: number | undefined
  readonly perWorker: Record<string, number>
}

function texts(count: number): string {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      version: 1,
      task_id: `bench-${i}`,
      type: 'text',
      collection: 'bench',
      text: `short benchmark text number ${i} about ${['tides', 'planets', 'coffee', 'plumbing'][i % 4]}`,
    }),
  )
  return lines.join('\n') + '\n'
}

function settingsFor(tag: string): KafkaSettings {
  const name = (what: string) => `vectorize-bench-${what}-${tag}`
  return configSchema.parse({
    kafka: {
      brokers: BROKERS,
      group_id: name('group'),
      partitions: PARTITIONS,
      topics: {
        tasks: name('tasks'),
        status: name('status'),
        results: name('results'),
        dlq: name('dlq'),
      },
    },
  }).kafka
}

function cliEnv(settings: KafkaSettings, dir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    VECTORIZE_WORKER_KAFKA_BROKERS: settings.brokers.join(','),
    VECTORIZE_WORKER_KAFKA_GROUP_ID: settings.group_id,
    VECTORIZE_WORKER_KAFKA_TOPICS_TASKS: settings.topics.tasks,
    VECTORIZE_WORKER_KAFKA_TOPICS_RESULTS: settings.topics.results,
    VECTORIZE_WORKER_KAFKA_TOPICS_STATUS: settings.topics.status,
    VECTORIZE_WORKER_KAFKA_TOPICS_DLQ: settings.topics.dlq,
    VECTORIZE_WORKER_QUEUE_DIR: join(dir, 'queue'),
    VECTORIZE_WORKER_VECTOR_DATABASES_LANCEDB_PATH: join(dir, 'lancedb'),
    VECTORIZE_WORKER_MODELS_DIR: MODELS_DIR,
    VECTORIZE_WORKER_MODELS_CACHE_DIR: MODELS_DIR,
    VECTORIZE_WORKER_MODELS_DEFAULT: MODEL,
    VECTORIZE_WORKER_MODELS_ALLOW_REMOTE: 'false',
    VECTORIZE_WORKER_WORKER_LOG_LEVEL: process.env.VECTORIZE_WORKER_WORKER_LOG_LEVEL ?? 'warn',
  }
}

/** Spawns `vectorize ARGS`; keeps the tail of stderr for error messages. */
function cli(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string) {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)))
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => resolve(code))
  })
  return { child, exited, stderr: () => stderr }
}

/** CPU seconds (user + system) a live process has used so far; undefined off Linux. */
function cpuSeconds(child: ChildProcess): number | undefined {
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
  } catch {
    return undefined
  }
}

/** Follows the status topic: the first `started`, the last `succeeded`, tasks done per worker. */
async function followStatus(client: KafkaClient, topic: string) {
  const consumer = client.kafka.consumer({
    kafkaJS: {
      groupId: `vectorize-bench-reader-${randomUUID()}`,
      fromBeginning: true,
      autoCommit: false,
    },
  })
  const done = new Map<string, string>()
  const view = {
    firstStarted: Infinity,
    lastSucceeded: 0,
    done,
    perWorker: {} as Record<string, number>,
  }
  await consumer.connect()
  await consumer.subscribe({ topics: [topic] })
  await consumer.run({
    eachMessage: ({ message }) => {
      const status = JSON.parse(message.value?.toString() ?? '{}') as StatusMessage
      const at = Date.parse(status.at)
      if (status.state === 'started') view.firstStarted = Math.min(view.firstStarted, at)
      if (status.state === 'succeeded' && !done.has(status.task_id)) {
        done.set(status.task_id, status.worker_id)
        view.lastSucceeded = Math.max(view.lastSucceeded, at)
        view.perWorker[status.worker_id] = (view.perWorker[status.worker_id] ?? 0) + 1
      }
      return Promise.resolve()
    },
  })
  return { view, close: () => consumer.disconnect() }
}

async function waitFor(what: () => string, done: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function benchmark(workerCount: number, client: KafkaClient): Promise<Run> {
  const settings = settingsFor(randomUUID())
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-bench-kafka-'))
  const admin = client.kafka.admin()
  await admin.connect()
  const workers: ReturnType<typeof cli>[] = []
  let follower: Awaited<ReturnType<typeof followStatus>> | undefined
  try {
    await ensureTopics(client.kafka, settings, silentLogger, 'source_unavailable')
    const env = cliEnv(settings, dir)
    const file = join(dir, 'tasks.jsonl')
    await writeFile(file, texts(TASKS))
    const submitAt = performance.now()
    const submit = cli(['submit', file], env, dir)
    if ((await submit.exited) !== 0) throw new Error(`vectorize submit failed: ${submit.stderr()}`)
    const submitS = (performance.now() - submitAt) / 1000
    follower = await followStatus(client, settings.topics.status)
    const { view } = follower

    const spawnedAt = Date.now()
    for (let i = 1; i <= workerCount; i++) {
      const worker = cli(['worker'], { ...env, VECTORIZE_WORKER_WORKER_ID: `bench-${i}` }, dir)
      workers.push(worker)
      void worker.exited.then((code) => {
        if (view.done.size < TASKS)
          console.error(`worker bench-${i} exited ${code}: ${worker.stderr()}`)
      })
    }
    await waitFor(
      () => `${view.done.size}/${TASKS} tasks succeeded with ${workerCount} worker(s)`,
      () => view.done.size >= TASKS || workers.some((w) => w.child.exitCode !== null),
      TIMEOUT_MS,
    )
    if (view.done.size < TASKS)
      throw new Error(`a worker exited before the end (${view.done.size}/${TASKS})`)
    const cpu = workers.map((w) => cpuSeconds(w.child))
    const processingS = (view.lastSucceeded - view.firstStarted) / 1000
    const wallS = (view.lastSucceeded - spawnedAt) / 1000
    return {
      workers: workerCount,
      tasks: TASKS,
      submitS,
      startupS: (view.firstStarted - spawnedAt) / 1000,
      processingS,
      wallS,
      tasksPerS: TASKS / processingS,
      wallTasksPerS: TASKS / wallS,
      cpuS: cpu.every((c) => c !== undefined) ? cpu.reduce((a, c) => a + c, 0) : undefined,
      perWorker: view.perWorker,
    }
  } finally {
    for (const w of workers) w.child.kill('SIGTERM')
    await Promise.all(workers.map((w) => w.exited.catch(() => null)))
    await follower?.close()
    await admin
      .deleteTopics({ topics: Object.values(settings.topics), timeout: 10_000 })
      .catch(() => undefined)
    await admin.disconnect()
    await rm(dir, { recursive: true, force: true })
  }
}

function table(runs: readonly Run[]): string {
  const header = [
    'workers',
    'tasks',
    'submit s',
    'start-up s',
    'processing s',
    'tasks/s',
    'wall s',
    'wall tasks/s',
    'cpu s',
    'per worker',
  ]
  const rows = runs.map((r) => [
    String(r.workers),
    n(r.tasks),
    r.submitS.toFixed(2),
    r.startupS.toFixed(2),
    r.processingS.toFixed(2),
    compact(r.tasksPerS),
    r.wallS.toFixed(2),
    compact(r.wallTasksPerS),
    r.cpuS === undefined ? '' : r.cpuS.toFixed(1),
    Object.entries(r.perWorker)
      .sort()
      .map(([, count]) => n(count))
      .join(' / '),
  ])
  const all = [header, ...rows]
  const widths = header.map((_, c) => Math.max(...all.map((l) => l[c]!.length)))
  return all.map((l) => l.map((cell, c) => cell.padStart(widths[c]!)).join('  ')).join('\n')
}

async function main(): Promise<void> {
  await generateTestModels(MODELS_DIR)
  const client = await createClient(settingsFor('probe'), silentLogger)
  const machine = machineInfo()
  const loadBefore = load1()
  const runs: Run[] = []
  for (const count of WORKER_COUNTS) runs.push(await benchmark(count, client))
  console.log(
    `Kafka end to end, ${MODEL}, ${n(TASKS)} short text tasks, ${PARTITIONS} partitions, ` +
      `${machine.cores} cores (${machine.cpu}), load ${loadBefore} before`,
  )
  console.log(table(runs))
  console.log(
    JSON.stringify({ bench: 'kafka', model: MODEL, partitions: PARTITIONS, machine, runs }),
  )
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
