/**
 * One bench:kafka row: a fresh tasks topic filled with the backlog by `vectorize submit`, then N
 * `vectorize worker` processes in one group work through it while a reader follows the status and
 * results topics and the sampler reads the group's lag and the processes' CPU and memory. Ends when
 * every task succeeded and the lag is 0; topics, groups, collection and files are removed after.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ensureTopics, allTopics } from '../../src/kafka/admin.ts'
import type { KafkaClient } from '../../src/kafka/client.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { follow, groupLag, type BenchAdmin, type Progress } from './kafka-follow.ts'
import { peakRss, sample, type Sample, type Watched } from './kafka-sampler.ts'
import {
  cli,
  dropCollection,
  freePorts,
  freshNames,
  storedCount,
  workerEnv,
  type Cli,
  type Names,
  type StoreTarget,
} from './kafka-setup.ts'
import { summarize, type Run } from './kafka-summary.ts'
import { backlog, type TaskKind } from './kafka-tasks.ts'

export interface Target {
  readonly client: KafkaClient
  readonly brokers: readonly string[]
  readonly partitions: number
  readonly model: string
  readonly modelsDir: string
  readonly corpus: string
  readonly store: StoreTarget
  /** `--set KEY=VALUE` for every worker. */
  readonly sets: readonly string[]
  readonly timeoutMs: number
  readonly sampleMs: number
  readonly brokerPid: number | undefined
  readonly storePid: number | undefined
}

type Worker = Cli & { readonly port: number }

export interface RunSpec {
  readonly workers: number
  readonly concurrency: number
  readonly kind: TaskKind
  readonly tasks: number
  readonly batchItems: number
}

export async function runOnce(spec: RunSpec, target: Target): Promise<Run> {
  const names = freshNames(target.brokers, target.partitions)
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-bench-kafka-'))
  const admin = target.client.kafka.admin() as BenchAdmin
  await admin.connect()
  const workers: Worker[] = []
  const groups = [names.settings.group_id]
  let closeFollower: (() => Promise<void>) | undefined
  try {
    await ensureTopics(target.client.kafka, names.settings, silentLogger, 'source_unavailable')
    const env = workerEnv(names, target.store, { ...target, dir })
    const { collection, settings } = names
    const tasks = await backlog(target.corpus, collection, spec.kind, spec.tasks, spec.batchItems)
    const follower = await follow(target.client, settings.topics, target.partitions)
    groups.push(follower.groupId)
    closeFollower = follower.close
    const spawnedAt = Date.now()
    workers.push(...(await startWorkers(spec, target, env, dir)))
    await waitReady(workers, spec.workers, admin, target, settings.group_id)
    const startupS = (Date.now() - spawnedAt) / 1000
    const watched: Watched = {
      workerPids: workers.map((w) => w.child.pid),
      brokerPid: target.brokerPid,
      storePid: target.storePid,
    }
    const lag = () => groupLag(admin, target.client, settings.group_id, settings.topics.tasks)
    const loadBefore = loadavg()[0]!
    const stop = new AbortController()
    const watching = watch(spec, tasks.tasks, target, follower.progress, workers, stop.signal, () =>
      sample(watched, lag),
    )
    watching.catch(() => undefined) // awaited below; a failure while submitting is reported first
    const submitS = await submit(tasks.jsonl, env, dir).catch((err: unknown) => {
      stop.abort()
      throw err
    })
    const samples = await watching
    const peak = peakRss(watched.workerPids)
    const stored = await storedCount(target.store, dir, collection)
    return summarize({
      ...spec,
      ...{ tasks: tasks.tasks, texts: tasks.texts, submitS, startupS, loadBefore, samples },
      ...{ progress: follower.progress, peakRss: peak, stored },
    })
  } finally {
    await cleanUp(workers, closeFollower, admin, names, groups)
    await dropCollection(target.store, names.collection).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  }
}

/** `vectorize worker` × N, each with its own id and /ready port. */
async function startWorkers(
  spec: RunSpec,
  target: Target,
  env: NodeJS.ProcessEnv,
  dir: string,
): Promise<Worker[]> {
  const args = target.sets.flatMap((s) => ['--set', s])
  args.push('--set', `processing.max_concurrent_tasks=${spec.concurrency}`, 'worker')
  const ports = await freePorts(spec.workers)
  return ports.map((port, i) => {
    const own = {
      VECTORIZE_WORKER_WORKER_ID: `bench-${i + 1}`,
      VECTORIZE_WORKER_HTTP_PORT: `${port}`,
    }
    return { ...cli(args, { ...env, ...own }, dir), port }
  })
}

/**
 * Until every worker answers /ready (source, store, default model loaded) and the group is stable
 * with each of them holding partitions: the backlog then meets workers that are all running.
 */
async function waitReady(
  workers: readonly Worker[],
  count: number,
  admin: BenchAdmin,
  target: Target,
  group: string,
): Promise<void> {
  const deadline = Date.now() + target.timeoutMs
  const isReady = (port: number) =>
    fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(2_000) }).then(
      (res) => res.ok,
      () => false,
    )
  for (;;) {
    assertRunning(workers)
    const ready = await Promise.all(workers.map((w) => isReady(w.port)))
    if (ready.every(Boolean) && (await groupStable(admin, target, group, count))) return
    if (Date.now() > deadline) throw new Error(`workers not ready after ${target.timeoutMs} ms`)
    await sleep(200)
  }
}

async function groupStable(admin: BenchAdmin, target: Target, group: string, count: number) {
  const { groups } = await admin.describeGroups([group], { timeout: 5_000 })
  const g = groups[0]
  const holding = (g?.members ?? []).filter((m) => (m.assignment?.topicPartitions?.length ?? 0) > 0)
  return (
    g?.state === target.client.module.ConsumerGroupStates.STABLE &&
    g.members.length === count &&
    holding.length === Math.min(count, target.partitions)
  )
}

function assertRunning(workers: readonly Cli[]): void {
  const exited = workers.findIndex((w) => w.child.exitCode !== null)
  if (exited < 0) return
  const w = workers[exited]!
  throw new Error(`worker bench-${exited + 1} exited ${w.child.exitCode}: ${w.stderr()}`)
}

async function submit(jsonl: string, env: NodeJS.ProcessEnv, dir: string): Promise<number> {
  const file = join(dir, 'tasks.jsonl')
  await writeFile(file, jsonl)
  const at = performance.now()
  const run = cli(['submit', file], env, dir)
  if ((await run.exited) !== 0) throw new Error(`vectorize submit failed: ${run.stderr()}`)
  return (performance.now() - at) / 1000
}

/** Samples until every task succeeded and the lag is 0; throws on a failure, an exit, the timeout. */
async function watch(
  spec: RunSpec,
  tasks: number,
  target: Target,
  progress: Progress,
  workers: readonly Cli[],
  signal: AbortSignal,
  take: () => Promise<Sample>,
): Promise<Sample[]> {
  const deadline = Date.now() + target.timeoutMs
  const samples: Sample[] = []
  for (;;) {
    const s = await take()
    samples.push(s)
    const complete = progress.done.size >= tasks && progress.timings.length >= tasks
    if (complete && s.lag === 0) return samples
    const [failedId, failure] = [...progress.failed][0] ?? []
    if (failedId) throw new Error(`task ${failedId} failed: ${failure}`)
    assertRunning(workers)
    signal.throwIfAborted()
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${target.timeoutMs / 1000} s with ${spec.workers} worker(s): ` +
          `${progress.done.size}/${tasks} tasks succeeded, ${progress.timings.length} results, lag ${s.lag}`,
      )
    }
    await sleep(target.sampleMs)
  }
}

async function cleanUp(
  workers: readonly Cli[],
  closeFollower: (() => Promise<void>) | undefined,
  admin: BenchAdmin,
  names: Names,
  groups: readonly string[],
): Promise<void> {
  for (const w of workers) w.child.kill('SIGTERM')
  await Promise.all(workers.map((w) => w.exited.catch(() => null)))
  await closeFollower?.().catch(() => undefined)
  await admin.deleteGroups([...groups], { timeout: 10_000 }).catch(() => undefined)
  const topics = allTopics(names.settings)
  await admin.deleteTopics({ topics, timeout: 10_000 }).catch(() => undefined)
  await admin.disconnect()
}
