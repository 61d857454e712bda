/**
 * The composition root: the only module that picks adapters and wires them together. CLI
 * commands ask it for what they need; everything else receives its dependencies as arguments.
 */
import { packageVersion } from './cli/package-root.ts'
import { LiveConfig } from './config/reload.ts'
import type { Config } from './config/schema.ts'
import { deadLetterLogs } from './dead-letters/index.ts'
import type { DeadLetterStore } from './dead-letters/dead-letter.ts'
import { Letters } from './dead-letters/letters.ts'
import type { ModelEvents, ModelManager } from './models/embedder.ts'
import { TransformersModels } from './models/transformers.ts'
import { Heartbeat } from './observability/heartbeat.ts'
import { advertisedUrl, HttpServer, Readiness, type ReadinessCheck } from './observability/http.ts'
import type { Logger } from './observability/logger.ts'
import { addReadinessChecks, metricsProbes, WorkerProbes } from './observability/checks.ts'
import { PrometheusMetrics } from './observability/metrics.ts'
import { Watchdog } from './observability/watchdog.ts'
import type { ReporterOptions } from './reporters/index.ts'
import { reporters, statusViews } from './reporters/index.ts'
import type { Reporter, StatusView } from './reporters/reporter.ts'
import { publishers, sourceKind, sources } from './sources/index.ts'
import type { TaskPublisher, TaskSource } from './sources/source.ts'
import { GroupCommitStore } from './stores/group-commit.ts'
import { stores } from './stores/index.ts'
import type { VectorStore } from './stores/store.ts'
import { tasks } from './tasks/index.ts'
import type { TaskRegistry } from './tasks/task.ts'
import { onFatalError } from './cli/fatal.ts'
import { toVectorizeError, type VectorizeError } from './worker/errors.ts'
import { combineMetrics, RunStats, type WorkerMetrics } from './worker/metrics.ts'
import { Reports } from './worker/reports.ts'
import { Worker } from './worker/worker.ts'

/** Releases resources in reverse order of acquisition; every release runs, the first error is rethrown. */
export class Resources {
  readonly #releases: (() => Promise<void>)[] = []

  add<T extends { close(): Promise<void> }>(resource: T): T {
    this.#releases.push(() => resource.close())
    return resource
  }

  async close(): Promise<void> {
    const errors: unknown[] = []
    for (const release of this.#releases.splice(0).reverse()) {
      await release().catch((err: unknown) => errors.push(err))
    }
    if (errors.length > 0) throw toVectorizeError(errors[0])
  }
}

export interface Deps {
  readonly config: Config
  readonly logger: Logger
  readonly resources: Resources
}

/**
 * LanceDB writes a version per merge and pays ~8 ms of CPU for it whatever its size: its writes are
 * spaced so that they take at most a tenth of the time (issue 11: 2,000 one-text tasks made 250
 * writes and 2.7 s of LanceDB CPU, spaced 50 writes and 0.3 s).
 */
const LANCEDB_WRITE_SPACING = 9

export async function openStore({ config, logger, resources }: Deps): Promise<GroupCommitStore> {
  const kind = config.vector_databases.default
  const store = await stores[kind](config.vector_databases, { logger })
  const spacing = kind === 'lancedb' ? LANCEDB_WRITE_SPACING : 0
  const allWaiting = config.processing.max_concurrent_tasks
  return resources.add(new GroupCommitStore(store, { maxRecords: 2048, spacing, allWaiting }))
}

export function openModels(
  { config, logger, resources }: Deps,
  events?: ModelEvents,
): TransformersModels {
  const { processing } = config
  const options = {
    ...config.models,
    maxBatchTokens: processing.max_batch_tokens,
    maxBatchWaitMs: processing.max_batch_wait_ms,
  }
  return resources.add(new TransformersModels(options, { logger, ...(events && { events }) }))
}

export async function openSource({ config, logger, resources }: Deps): Promise<TaskSource> {
  return resources.add(await sources[sourceKind(config)](config, { logger }))
}

export async function openPublisher({ config, logger, resources }: Deps): Promise<TaskPublisher> {
  return resources.add(await publishers[sourceKind(config)](config, { logger }))
}

export async function openReporter(
  { config, logger, resources }: Deps,
  options: ReporterOptions = {},
): Promise<Reporter> {
  return resources.add(await reporters[sourceKind(config)](config, { logger }, options))
}

export async function openStatusView({ config, logger, resources }: Deps): Promise<StatusView> {
  return resources.add(await statusViews[sourceKind(config)](config, { logger }))
}

/** The dead letters of the configured mode, with the tools to replay and discard them. */
export async function openDeadLetters({
  config,
  logger,
  resources,
}: Deps): Promise<DeadLetterStore> {
  const kind = sourceKind(config)
  const publisher = () => publishers[kind](config, { logger })
  const log = await deadLetterLogs[kind](config, { logger, publisher })
  return resources.add(new Letters(log, logger))
}

export interface RunOptions {
  readonly untilIdle: boolean
  /** Extra observers (a progress bar, Prometheus). */
  readonly metrics?: WorkerMetrics
  /** Report heartbeats to Redis when `redis.url` is set (`vectorize worker`). */
  readonly heartbeat?: boolean
  /** Observers of model loads and inference batches (Prometheus). */
  readonly modelEvents?: ModelEvents
  /** Where this worker serves /metrics, announced in its heartbeat (for the dashboard). */
  readonly metricsUrl?: string
  /** Wraps the opened parts before the worker is built from them (test doubles; see WorkerParts). */
  readonly decorate?: PartsDecorator
}

export interface CreatedWorker {
  readonly worker: Worker
  readonly stats: RunStats
  readonly source: TaskSource
  readonly store: GroupCommitStore
  readonly models: TransformersModels
  readonly heartbeat?: Heartbeat
}

/** Builds a worker over the configured source, models, store and reporter. */
export async function createWorker(deps: Deps, options: RunOptions): Promise<CreatedWorker> {
  const [store, source, reporter] = [
    await openStore(deps),
    await openSource(deps),
    await openReporter(deps, { maintain: true }),
  ]
  const models = openModels(deps, options.modelEvents)
  const { metrics, decorate } = options
  const opened: WorkerParts = { source, store, reporter, models, logger: deps.logger }
  const parts = decorate ? decorate(opened) : opened
  const assembled = assembleWorker(deps.config, { ...parts, ...(metrics && { metrics }) })
  // before the model loads, so that the cluster sees this worker `starting`
  const heartbeat = options.heartbeat
    ? openHeartbeat(deps, { ...assembled, models }, options.metricsUrl)
    : undefined
  await models.get(undefined, { signal: AbortSignal.timeout(600_000) }) // fail fast: the default model must load
  return { ...assembled, source, store, models, ...(heartbeat && { heartbeat }) }
}

/**
 * Redis heartbeats of a worker (SPEC §4.7), when `redis.url` is set. Added to the resources after
 * the source, store and models, so it is released first: a stopping worker leaves the registry
 * at once, and a crash before that leaves it within its TTL.
 */
export function openHeartbeat(
  { config, logger, resources }: Deps,
  parts: { worker: Worker; stats: RunStats; models: ModelManager },
  metricsUrl?: string,
): Heartbeat | undefined {
  if (config.redis.url === '') return undefined
  const { worker, stats, models } = parts
  const status = () => ({
    state: worker.state,
    activeTasks: worker.activeTasks,
    models: models.loaded().map((m) => m.identity),
    maxTasks: worker.maxConcurrentTasks,
    devices: [...new Set(models.loaded().map((m) => m.device))],
    counters: {
      started: stats.started,
      succeeded: stats.succeeded,
      failed: stats.failed,
      retries: stats.retries,
      dead_letters: stats.deadLetters,
      items: stats.items,
      tokens: stats.tokens,
    },
  })
  const deps = {
    logger,
    status,
    workerId: config.worker.id,
    version: packageVersion(),
    ...(metricsUrl !== undefined && { metricsUrl }),
  }
  return resources.add(Heartbeat.start(config.redis, deps))
}

export interface WorkerParts {
  readonly source: TaskSource
  readonly store: VectorStore
  readonly reporter: Reporter
  readonly models: ModelManager
  readonly logger: Logger
  readonly metrics?: WorkerMetrics
  /** The task types; the built-in ones when absent. */
  readonly tasks?: TaskRegistry
}

/**
 * Replaces parts of a worker by wrappers around them: how tests put a double (a task that kills
 * its process, a store that holds a write) into the real CLI without test hooks in the code.
 */
export type PartsDecorator = (parts: WorkerParts) => WorkerParts

/** The worker over parts already opened: no I/O (tests pass their own parts, e.g. a faulty store). */
export function assembleWorker(
  config: Config,
  parts: WorkerParts,
): { worker: Worker; stats: RunStats } {
  const stats = new RunStats()
  const { processing } = config
  const worker = new Worker(
    {
      ...parts,
      tasks: parts.tasks ?? tasks,
      reports: new Reports(parts.reporter, config.worker.id, processing.retry),
      metrics: parts.metrics ? combineMetrics(stats, parts.metrics) : stats,
      settings: {
        workerId: config.worker.id,
        limits: processing,
        defaults: { collection: processing.default_collection, distance: processing.distance },
        retry: processing.retry,
        taskTimeoutMs: processing.task_timeout_ms,
        maxCrashes: processing.max_crashes,
        content: config.content,
      },
    },
    {
      maxConcurrentTasks: processing.max_concurrent_tasks,
      commitIntervalMs: 200,
      revokeTimeoutMs: Math.min(config.worker.shutdown_grace_ms, 10_000),
    },
  )
  return { worker, stats }
}

export interface WorkerRunOptions extends RunOptions {
  /** Reads the config again as at start-up; SIGHUP applies what can change at run time. */
  readonly reload?: () => Promise<Config>
  /** Serve /health, /ready and /metrics (when `http.enabled`): `vectorize worker`. */
  readonly serve?: { readonly version: string }
}

/**
 * Runs a worker until idle or a signal: SIGTERM/SIGINT drain within `worker.shutdown_grace_ms`,
 * a second signal aborts in-flight work (it stays uncommitted and is redelivered); SIGHUP
 * reloads the config (with `reload`).
 */
export async function runWorker(deps: Deps, options: WorkerRunOptions): Promise<RunStats> {
  const { logger } = deps
  const live = new LiveConfig(
    deps.config,
    options.reload ?? (() => Promise.resolve(deps.config)),
    logger,
  )
  live.on('worker.log_level', (level) => void (logger.level = level))
  const onHangup = () => void live.reload()
  if (options.reload) process.on('SIGHUP', onHangup)
  try {
    const served =
      options.serve && deps.config.http.enabled
        ? await serve(deps, options.serve.version)
        : undefined
    const observers = [options.metrics, served?.metrics].filter((m) => m !== undefined)
    const created = await createWorker(deps, {
      ...options,
      ...(observers.length > 0 && { metrics: combineMetrics(...observers) }),
      ...(served && {
        modelEvents: served.metrics,
        metricsUrl: advertisedUrl(deps.config.http.advertise_url, served.http.url),
      }),
    })
    const { worker, models, store } = created
    live.on('processing.max_concurrent_tasks', (n) => {
      worker.setConcurrency(n)
      store.setAllWaiting(n)
    })
    live.on('processing.max_batch_tokens', (n) => models.setMaxBatchTokens(n))
    // a SIGHUP while the model loaded changed these before their appliers existed
    const { processing } = live.current
    worker.setConcurrency(processing.max_concurrent_tasks)
    store.setAllWaiting(processing.max_concurrent_tasks)
    if (processing.max_batch_tokens !== deps.config.processing.max_batch_tokens)
      await models.setMaxBatchTokens(processing.max_batch_tokens)
    served?.attach(created)
    const { heartbeat } = created
    if (heartbeat) {
      live.on('redis.heartbeat_interval_ms', (ms) => heartbeat.setInterval(ms))
      served?.readiness.add(heartbeatCheck(heartbeat))
    }
    await runUntilSignalled(worker, deps, options.untilIdle)
    created.stats.unfinished = worker.abandonedTasks
    return created.stats
  } finally {
    process.off('SIGHUP', onHangup)
  }
}

/**
 * Runs the worker, stopped by signals or by an error nothing awaited (an unhandled rejection or
 * uncaught exception): then intake stops and in-flight tasks are aborted — not committed, they come
 * back — and the run ends with `unhandled_error` (exit 70) instead of the process dying on the
 * spot with whatever it had in flight (issue 10).
 */
async function runUntilSignalled(worker: Worker, deps: Deps, untilIdle: boolean): Promise<void> {
  let signals = 0
  let fatal: VectorizeError | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    signals++
    deps.logger.info({ signal }, signals === 1 ? 'shutting down' : 'forcing shutdown')
    if (signals === 1) worker.stop(deps.config.worker.shutdown_grace_ms)
    else worker.abort()
  }
  const stopFatal = onFatalError((error) => {
    deps.logger.error({ err: error.cause, code: error.code }, `stopping: ${error.message}`)
    fatal ??= error
    worker.abort()
  })
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  try {
    await worker.run({ untilIdle })
  } finally {
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
    stopFatal()
  }
  if (fatal) throw fatal
}

/** Redis as /ready shows it: reported, never required (a Redis outage must not stop the work). */
function heartbeatCheck(heartbeat: Heartbeat): ReadinessCheck {
  return {
    name: 'redis',
    required: false,
    check: () => {
      const { connected, lastBeatAt, error } = heartbeat.health
      if (connected) return Promise.resolve({ last_beat_at: lastBeatAt })
      return Promise.reject(new Error(error ?? 'not connected'))
    },
  }
}

/** Prometheus metrics, the watchdog and the HTTP endpoints of a long-running worker. */
async function serve(deps: Deps, version: string) {
  const { config, logger, resources } = deps
  const metrics = new PrometheusMetrics({ workerId: config.worker.id, version })
  const readiness = new Readiness()
  let watchdog: Watchdog | undefined
  let attached = false
  readiness.add({
    name: 'started',
    required: true,
    check: () => (attached ? Promise.resolve() : Promise.reject(new Error('loading models'))),
  })
  const http = resources.add(
    await HttpServer.create(config.http, {
      logger,
      metrics,
      readiness,
      health: () => watchdog?.check() ?? { ok: true },
    }),
  )
  const attach = (created: CreatedWorker) => {
    watchdog = resources.add(new Watchdog(config.worker.watchdog_ms, () => created.models.activity))
    const { probe_interval_ms: intervalMs, probe_max_age_ms: maxAgeMs } = config.http
    const probes = resources.add(
      new WorkerProbes(created, { intervalMs, timeoutMs: intervalMs, maxAgeMs }),
    )
    metrics.observe(metricsProbes(created, watchdog, probes))
    addReadinessChecks(readiness, created, probes)
    attached = true
  }
  return { metrics, readiness, http, attach }
}
