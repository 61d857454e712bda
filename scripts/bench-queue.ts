/**
 * The embedded queue under a continuous feed (issue 10, "Nothing grows without bound"; figures,
 * never asserted): N small tasks go through the queue as `vectorize submit` and a worker use it,
 * with no model and no store. A producer process (this script, `--role producer`) does what
 * `submit` does: a `queued` status per task, then the tasks appended in chunks of 1,000, staying
 * at most `--max-lag` tasks ahead of the commit (a steady feed, not a backlog). This process
 * consumes them as the worker's queue side does: `started`, then a one-id result and `succeeded`
 * (every `--bad-every`th task `failed` and dead-lettered instead), committing the contiguous done
 * offsets every 200 ms; "processing" is nothing, so the figures are the queue's own cost.
 * Both build their queue objects through the registries main.ts uses, with the worker's upkeep
 * (roll, retention, status compaction every `queue.maintenance_interval_ms`) running. The queue
 * directory's disk use is sampled throughout and shown per part against the retention settings.
 *
 *   npm run build && npm run bench:queue -- [--tasks N] [--set queue.KEY=VALUE]...
 */
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { queueStats } from '../src/cli/queue.ts'
import { loadConfig } from '../src/config/load.ts'
import type { Config } from '../src/config/schema.ts'
import { reporters } from '../src/reporters/index.ts'
import { publishers, sources } from '../src/sources/index.ts'
import { readCommit } from '../src/sources/local-queue.ts'
import { intArg } from './bench/args.ts'
import { DiskSampler, type DiskUse } from './bench/disk.ts'
import { alignedTable, n } from './bench/format.ts'
import { load1, machineInfo } from './bench/machine.ts'
import { countingLogger } from './bench/queue-logger.ts'
import { consume } from './bench/queue-consumer.ts'

const usage = `usage: node dist/scripts/bench-queue.js [options]
  --tasks N          tasks through the queue (default 1000000)
  --max-lag L        the producer stays at most L tasks ahead of the commit (default 20000)
  --concurrency C    tasks in flight in the consumer (default 1024)
  --bad-every B      every B-th task fails and is dead-lettered (default 1000; 0 = none)
  --sample-ms S      disk use sampling interval (default 250)
  --set KEY=VALUE    a setting, as for the CLI (repeatable); the queue.* defaults below apply first
  --out FILE         where the JSON goes (default data/bench-queue.json)
  --keep             keep the queue directory (its path is printed)`

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '1000000' },
    'max-lag': { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '1024' },
    'bad-every': { type: 'string', default: '1000' },
    'sample-ms': { type: 'string', default: '250' },
    set: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: join('data', 'bench-queue.json') },
    keep: { type: 'boolean', default: false },
    role: { type: 'string', default: 'bench' },
    dir: { type: 'string' },
  },
})
const TASKS = intArg('tasks', args.tasks, 1, usage)
const MAX_LAG = intArg('max-lag', args['max-lag'], 1, usage)
const BAD_EVERY = intArg('bad-every', args['bad-every'], 0, usage)
const MIB = 1024 * 1024

/** Small enough that a run of a few minutes rolls, retains and compacts many times. */
const benchDefaults: Record<string, string> = {
  'queue.segment_bytes': String(8 * MIB),
  'queue.retention_bytes': String(32 * MIB),
  'queue.status_compact_bytes': String(16 * MIB),
  'queue.status_retention_bytes': String(16 * MIB),
  'queue.maintenance_interval_ms': '1000',
  'queue.poll_interval_ms': '20',
}

async function benchConfig(dir: string): Promise<Config> {
  const pairs = [
    ...Object.entries(benchDefaults).map(([k, v]) => `${k}=${v}`),
    ...args.set,
    `queue.dir=${dir}`,
    'source.kind=local',
  ]
  const flags = pairs.map((pair) => {
    const eq = pair.indexOf('=')
    return { key: pair.slice(0, eq), raw: pair.slice(eq + 1), flag: `--set ${pair.slice(0, eq)}` }
  })
  return (await loadConfig({ env: process.env, cwd: dir, flags })).config
}

const task = (i: number) =>
  JSON.stringify({
    version: 1,
    task_id: `b-${i}`,
    type: 'text',
    text: `short task number ${i}`,
    ...(BAD_EVERY > 0 && i % BAD_EVERY === BAD_EVERY - 1 && { bad: true }),
  })

/** `vectorize submit`'s side, in its own process: queued statuses, then the tasks, paced. */
async function produce(dir: string): Promise<void> {
  const config = await benchConfig(dir)
  const logger = countingLogger()
  const publisher = await publishers.local(config, { logger })
  const reporter = await reporters.local(config, { logger })
  const signal = new AbortController().signal
  const encoder = new TextEncoder()
  for (let from = 0; from < TASKS; from += 1000) {
    while (from - ((await readCommit(dir))?.offset ?? 0) > MAX_LAG) await sleep(20)
    const ids = Array.from({ length: Math.min(1000, TASKS - from) }, (_, k) => from + k)
    const at = new Date().toISOString()
    await Promise.all(
      ids.map((i) =>
        reporter.status(
          { task_id: `b-${i}`, state: 'queued', worker_id: 'submit', at },
          { signal },
        ),
      ),
    )
    await publisher.publish(
      ids.map((i) => encoder.encode(task(i))),
      { signal },
    )
  }
  await Promise.all([publisher.close(), reporter.close()])
}

function startProducer(dir: string) {
  const script = fileURLToPath(import.meta.url)
  const passOn = ['--tasks', String(TASKS), '--max-lag', String(MAX_LAG)]
  const sets = args.set.flatMap((s) => ['--set', s])
  const child = spawn(
    process.execPath,
    [
      script,
      '--role',
      'producer',
      '--dir',
      dir,
      ...passOn,
      ...sets,
      '--bad-every',
      String(BAD_EVERY),
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  )
  return new Promise<void>((done, fail) => {
    child.on('error', fail)
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`producer exit ${code}`))))
  })
}

/** MiB, as the settings are given. */
const mb = (bytes: number) => (bytes / MIB).toFixed(1)

interface Row {
  readonly done: number
  readonly seconds: number
  readonly rate: number
  readonly disk: DiskUse
  readonly lag: number
}

function table(header: readonly string[], lines: readonly (readonly string[])[]): string {
  return alignedTable(header, lines, { leftColumns: 1 })
}

async function bench(): Promise<void> {
  const say = (line = '') => process.stdout.write(`${line}\n`)
  const machine = machineInfo()
  const loadStart = load1()
  const root = await mkdtemp(join(tmpdir(), 'vectorize-bench-queue-'))
  const dir = join(root, 'queue')
  await mkdir(dir, { recursive: true })
  const config = await benchConfig(dir)
  const q = config.queue
  say(`${machine.cpu}, ${machine.cores} cores, load ${loadStart}; node ${machine.node}`)
  say(`${n(TASKS)} tasks; queue ${dir}`)
  say(
    `settings (MiB): segment ${mb(q.segment_bytes)}, retention ${mb(q.retention_bytes)} / ` +
      `${q.retention_ms} ms, status compaction at ${mb(q.status_compact_bytes)}, status retention ` +
      `${mb(q.status_retention_bytes)}, dead letters ${mb(q.dlq_retention_bytes)}, upkeep every ` +
      `${q.maintenance_interval_ms} ms; producer ≤ ${n(MAX_LAG)} tasks ahead`,
  )
  const logger = countingLogger()
  const sampler = new DiskSampler(dir, intArg('sample-ms', args['sample-ms'], 10, usage))
  const started = performance.now()
  const producing = startProducer(dir)
  const source = await sources.local(config, { logger })
  const reporter = await reporters.local(config, { logger }, { maintain: true })
  const rows: Row[] = []
  const consumed = await consume({
    source,
    reporter,
    tasks: TASKS,
    concurrency: intArg('concurrency', args.concurrency, 1, usage),
    onProgress: (done, lag) => {
      const seconds = (performance.now() - started) / 1000
      const previous = rows.at(-1) ?? { done: 0, seconds: 0 }
      const rate = (done - previous.done) / (seconds - previous.seconds)
      rows.push({ done, seconds, rate, disk: sampler.last, lag })
    },
  })
  await producing
  const seconds = (performance.now() - started) / 1000
  await Promise.all([source.close(), reporter.close()])
  await sampler.stop()
  const end = sampler.last
  const max = sampler.max
  const stats = await queueStats(q)
  say()
  say(
    table(
      ['done', 's', 'tasks/s', 'tasks MiB', 'status MiB', 'dlq MiB', 'total MiB', 'lag'],
      rows.map((r) => [
        n(r.done),
        r.seconds.toFixed(1),
        n(r.rate),
        mb(r.disk.tasks),
        mb(r.disk.status),
        mb(r.disk.deadLetters),
        mb(r.disk.total),
        n(r.lag),
      ]),
    ),
  )
  say()
  const parts: [string, keyof DiskUse, string][] = [
    [
      'task log',
      'tasks',
      `retention ${mb(q.retention_bytes)} + segment ${mb(q.segment_bytes)} + lag`,
    ],
    [
      'status.log',
      'status',
      `compacted at max(${mb(q.status_compact_bytes)}, 2 × after: ≤ ${mb(q.status_retention_bytes)} + live) + growth per upkeep`,
    ],
    ['dead letters', 'deadLetters', `retention ${mb(q.dlq_retention_bytes)} + segment`],
    ['total', 'total', ''],
  ]
  say(
    table(
      ['disk', 'max MiB', 'end MiB', 'bounded by (MiB)'],
      parts.map(([name, key, bound]) => [name, mb(max[key]), mb(end[key]), bound]),
    ),
  )
  say()
  const rate = TASKS / seconds
  say(
    `${n(TASKS)} tasks in ${seconds.toFixed(1)} s: ${n(rate)} tasks/s (submit → consume → ` +
      `commit → status, no model, no store); ${consumed.deadLetters} dead letters; ` +
      `${logger.count('compacted the status log')} status compactions, ` +
      `${logger.count('deleted consumed task log segments (retention)')} task log retention passes; ` +
      `${sampler.samples} disk samples; load ${loadStart} → ${load1()}`,
  )
  say(
    `at the end: ${stats.tasks.segments} task segments, offsets ${stats.tasks.oldest_offset}–` +
      `${stats.tasks.newest_offset}, committed ${stats.tasks.committed_offset}, lag ` +
      `${stats.tasks.lag}; status ${n(stats.status.tasks)} tasks kept of ${n(TASKS)}`,
  )
  const json = {
    bench: 'queue',
    at: new Date().toISOString(),
    machine,
    load1: [loadStart, load1()],
    settings: { tasks: TASKS, maxLag: MAX_LAG, badEvery: BAD_EVERY, queue: q },
    seconds: Number(seconds.toFixed(2)),
    tasksPerSec: Math.round(rate),
    diskMaxBytes: max,
    diskEndBytes: end,
    timeline: rows.map((r) => ({
      ...r,
      seconds: Number(r.seconds.toFixed(2)),
      rate: Math.round(r.rate),
    })),
    end: stats,
  }
  const out = resolve(args.out)
  await mkdir(dirname(out), { recursive: true })
  await writeFile(out, `${JSON.stringify(json, null, 2)}\n`)
  say(`JSON ${out}`)
  if (args.keep) say(`kept ${dir}`)
  else await rm(root, { recursive: true, force: true })
}

if (args.role === 'producer') await produce(args.dir!)
else await bench()
