/** `vectorize dashboard`: the operator's web page, wired for the configured mode. */
import type { Command } from 'commander'
import { join } from 'node:path'
import { readContent } from '../content/read.ts'
import { thumbnail } from '../content/images.ts'
import type { Config } from '../config/schema.ts'
import { redactConfig } from '../config/redact.ts'
import type { ApiParts } from '../dashboard/api.ts'
import type { CountsView, CountsWindowView, LagView } from '../dashboard/api-types.ts'
import { Cluster, type ClusterSources } from '../dashboard/cluster.ts'
import { StoreCollections } from '../dashboard/collections.ts'
import { scrape } from '../dashboard/scrape.ts'
import { DashboardServer } from '../dashboard/server.ts'
import { GroupLag } from '../kafka/group-lag.ts'
import type { Deps } from '../main.ts'
import { openDeadLetters, openModels, openStatusView, openStore } from '../main.ts'
import type { Dtype, Embedder, ModelManager } from '../models/embedder.ts'
import { advertisedUrl } from '../observability/http.ts'
import { WorkerRegistry } from '../observability/registry.ts'
import type { WorkerRecord } from '../observability/worker-record.ts'
import { KafkaStateCounts } from '../reporters/kafka-state-counts.ts'
import type { StatusView } from '../reporters/reporter.ts'
import { sourceKind } from '../sources/index.ts'
import { LogEnd } from '../sources/local-end.ts'
import { taskLogStats } from '../sources/local-maintenance.ts'
import { VectorizeError } from '../worker/errors.ts'
import { commandContext } from './context.ts'
import { packageRoot, packageVersion } from './package-root.ts'

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description(
      'serve the operator dashboard: workers, throughput, lag, dead letters, tasks, collections',
    )
    .action(async (_opts: unknown, command: Command) => {
      const ctx = await commandContext(command)
      try {
        const server = await openDashboard(ctx)
        process.stderr.write(`vectorize dashboard on ${server.url}\n`)
        await untilSignalled()
      } finally {
        await ctx.resources.close()
      }
    })
}

/** Everything the dashboard reads, opened and added to the resources; the server last. */
export async function openDashboard(deps: Deps): Promise<DashboardServer> {
  const { config, logger, resources } = deps
  const settings = config.dashboard
  const mode = sourceKind(config)
  const statusView = once(() => openStatusView(deps))
  const deadLetters = await openDeadLetters(deps).catch((err: unknown) => ({
    unavailable: (err as Error).message,
  }))
  const sources = await clusterSources(deps, statusView, deadLetters)
  const cluster = resources.add(new Cluster(sources, { refreshMs: settings.refresh_ms, logger }))
  const parts: ApiParts = {
    cluster,
    deadLetters,
    statusView,
    collections: collections(deps),
    config: () => redactConfig(config),
  }
  const assets = join(packageRoot(), 'dist', 'dashboard-ui')
  const boot = { mode, refreshMs: settings.refresh_ms, version: packageVersion() }
  const server = resources.add(
    await DashboardServer.create({ ...settings, assets, boot }, parts, logger),
  )
  cluster.start()
  return server
}

async function clusterSources(
  deps: Deps,
  statusView: () => Promise<StatusView>,
  deadLetters: Awaited<ReturnType<typeof openDeadLetters>> | { unavailable: string },
): Promise<ClusterSources> {
  const { config, logger, resources } = deps
  const mode = sourceKind(config)
  const notes: string[] = []
  const lag = await lagReader(config, resources, logger)
  const discovered = workerDiscovery(config, resources, notes)
  if (mode === 'kafka') {
    const { state_window_ms: windowMs, state_max_tasks: maxTasks } = config.dashboard
    notes.push(
      `Kafka mode: tasks per state are counted over the last ${windowText(windowMs)} from one tail of the status topic (dashboard.state_window_ms), at most ${maxTasks.toLocaleString('en-US')} tasks (dashboard.state_max_tasks); \`vectorize status\` counts the whole topic on demand. A task lookup scans the status topic (up to 30 s).`,
    )
  }
  const timeoutMs = config.dashboard.scrape_timeout_ms
  return {
    mode,
    discovery: discovered.discovery,
    workers: discovered.workers,
    ...(discovered.unverified && { unverified: true }),
    scrape: (url) => scrape(url, timeoutMs),
    lag,
    counts: countsReader(deps, statusView),
    ...(!('unavailable' in deadLetters) && {
      deadLetters: (signal: AbortSignal) => deadLetters.summary({ signal }),
    }),
    notes,
  }
}

/**
 * Tasks per state: the embedded index counts them all; Kafka keeps no index by state and folding the
 * whole status topic every refresh is unbounded, so one tail of the topic counts a recent window.
 */
function countsReader(
  deps: Deps,
  statusView: () => Promise<StatusView>,
): (signal: AbortSignal) => Promise<CountsView> {
  const { config, logger, resources } = deps
  if (sourceKind(config) === 'local') {
    return async (signal) => ({ states: await (await statusView()).counts({ signal }) })
  }
  const { state_window_ms: windowMs, state_max_tasks: maxTasks } = config.dashboard
  const tail = resources.add(
    KafkaStateCounts.start(config.kafka, { logger }, { windowMs, maxTasks }),
  )
  return () => {
    const c = tail.counts()
    const window: CountsWindowView = {
      window_ms: c.windowMs,
      max_tasks: c.maxTasks,
      tasks: c.tasks,
      evicted: c.evicted,
      caught_up: c.caughtUp,
      ...(c.oldest !== undefined && { oldest: c.oldest }),
      ...(c.error !== undefined && { error: c.error }),
    }
    return Promise.resolve({ states: c.states, window })
  }
}

/** `3600000` as `1 h`, `90000` as `90 s`. */
function windowText(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`
  if (ms % 60_000 === 0) return `${ms / 60_000} min`
  return `${ms / 1000} s`
}

/** The lag: the group's committed offsets (Kafka), or the queue's commit against its log's end. */
async function lagReader(
  config: Config,
  resources: Deps['resources'],
  logger: Deps['logger'],
): Promise<(signal: AbortSignal) => Promise<LagView>> {
  if (sourceKind(config) === 'kafka') {
    const group = resources.add(await GroupLag.open(config.kafka, { logger }))
    const source = `group ${config.kafka.group_id} on ${config.kafka.topics.tasks}`
    return async (signal) => {
      const partitions = await group.read(signal)
      return { source, total: partitions.reduce((n, p) => n + p.lag, 0), partitions }
    }
  }
  const { dir } = config.queue
  const end = new LogEnd(dir) // kept: each read counts only what was appended since
  return async () => {
    const stats = await taskLogStats(dir, end) // no lock taken: a worker may hold the queue
    const partition = {
      partition: 0,
      lag: stats.lag,
      end: stats.next_offset,
      committed: stats.committed_offset,
    }
    return { source: `the embedded queue in ${dir}`, total: stats.lag, partitions: [partition] }
  }
}

function workerDiscovery(
  config: Config,
  resources: Deps['resources'],
  notes: string[],
): { discovery: string; workers: () => Promise<WorkerRecord[]>; unverified?: boolean } {
  const { url, key_prefix: keyPrefix } = config.redis
  if (url !== '') {
    const timeoutMs = Math.max(1_000, Math.min(5_000, config.dashboard.refresh_ms))
    const registry = resources.add(WorkerRegistry.open({ url, keyPrefix, timeoutMs }))
    return { discovery: 'Redis heartbeats', workers: () => registry.list() }
  }
  if (sourceKind(config) === 'kafka') {
    notes.push('No redis.url: workers report to Redis only when it is set, so none can be listed.')
    const reason =
      'redis.url is not set: the workers of a Kafka cluster are found by their Redis heartbeats'
    return {
      discovery: 'none (no redis.url)',
      workers: () => Promise.reject(new VectorizeError('config_invalid', reason)),
    }
  }
  const { host, port, advertise_url } = config.http
  const metricsUrl = advertisedUrl(advertise_url, `http://${host}:${port}`)
  notes.push(
    `No redis.url: the worker shown is the one configured at ${metricsUrl} (no heartbeat details).`,
  )
  const startedAt = new Date().toISOString()
  return {
    discovery: `the configured worker address ${metricsUrl}`,
    unverified: true,
    workers: () =>
      Promise.resolve([
        {
          id: config.worker.id,
          host: new URL(metricsUrl).hostname,
          pid: 0,
          version: '?',
          state: 'unknown',
          models: [],
          active_tasks: 0,
          counters: {},
          started_at: startedAt,
          updated_at: new Date().toISOString(),
          interval_ms: config.dashboard.refresh_ms,
          ttl_ms: config.dashboard.refresh_ms * 3,
          metrics_url: metricsUrl,
        },
      ]),
  }
}

function collections(deps: Deps): StoreCollections {
  const store = once(() => openStore(deps))
  const managers = new Map<string, ModelManager>()
  const embedder = (model: string, dtype: string, signal: AbortSignal): Promise<Embedder> => {
    let models = managers.get(dtype)
    if (!models) {
      const config = { ...deps.config, models: { ...deps.config.models, dtype: dtype as Dtype } }
      models = openModels({ ...deps, config })
      managers.set(dtype, models)
    }
    return models.get(model, { signal })
  }
  return new StoreCollections({
    store,
    embedder,
    content: deps.config.content,
    readContent,
    thumbnail,
  })
}

/** The first call's promise, shared; a failure is not kept (the next call tries again). */
function once<T>(open: () => Promise<T>): () => Promise<T> {
  let opened: Promise<T> | undefined
  return () => {
    opened ??= open()
    opened.catch(() => (opened = undefined))
    return opened
  }
}

function untilSignalled(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop)
      process.off('SIGINT', stop)
      resolve()
    }
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
  })
}
