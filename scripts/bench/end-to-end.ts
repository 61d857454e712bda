/**
 * End to end through the real embedded pipeline, in a temporary directory: the texts are published
 * as task messages to the local queue (LocalPublisher), then a worker built by main.ts's
 * createWorker runs until idle — queue → parse → Embedder → LanceDB → status/result reports →
 * commit. Publishing and worker start-up (model load) are timed apart from the run. Without an
 * expected item count (documents: the chunker decides), the stored count is reported unchecked.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { loadConfig, type FlagSetting } from '../../src/config/load.ts'
import type { Config } from '../../src/config/schema.ts'
import { createWorker, openPublisher, openStore, Resources, type Deps } from '../../src/main.ts'
import type { Logger } from '../../src/observability/logger.ts'
import type { TaskFinished, WorkerMetrics } from '../../src/worker/metrics.ts'
import { percentile, timed } from './measure.ts'

export const COLLECTION = 'bench'

export interface ConfigPaths {
  readonly modelsRoot: string
  readonly model: string
  /** Where queue and LanceDB go; omitted for runs that use neither. */
  readonly dataDir?: string
}

/**
 * The worker's config as the CLI resolves it (defaults < environment < flags), so VECTORIZE_WORKER_*
 * tuning applies to every row; the paths and the model are forced. `cwd` is a place with no
 * config/worker.yaml, so a checkout's example file never leaks in.
 */
export async function benchConfig(paths: ConfigPaths, extra: readonly FlagSetting[] = []) {
  const set = (key: string, raw: string): FlagSetting => ({ key, raw, flag: `(bench) ${key}` })
  const data = paths.dataDir ?? tmpdir()
  const { config } = await loadConfig({
    env: process.env,
    cwd: data,
    flags: [
      set('models.default', paths.model),
      set('models.dir', paths.modelsRoot),
      set('models.cache_dir', paths.modelsRoot),
      set('models.allow_remote', 'false'),
      set('source.kind', 'local'),
      set('queue.dir', join(data, 'queue')),
      set('vector_databases.default', 'lancedb'),
      set('vector_databases.lancedb.path', join(data, 'lancedb')),
      ...extra,
    ],
  })
  return config
}

/** Text tasks, one text each; or batch tasks of `batchItems` items. Every item has its own id. */
export function taskMessages(
  texts: readonly string[],
  kind: 'text' | 'batch',
  batchItems: number,
): Uint8Array[] {
  const encoder = new TextEncoder()
  const encode = (value: unknown) => encoder.encode(JSON.stringify(value))
  if (kind === 'text') {
    return texts.map((text, i) =>
      encode({
        version: 1,
        task_id: `t${i}`,
        type: 'text',
        collection: COLLECTION,
        id: `d${i}`,
        text,
      }),
    )
  }
  const messages: Uint8Array[] = []
  for (let start = 0; start < texts.length; start += batchItems) {
    const items = texts
      .slice(start, start + batchItems)
      .map((text, j) => ({ id: `d${start + j}`, text }))
    messages.push(
      encode({ version: 1, task_id: `b${start}`, type: 'batch', collection: COLLECTION, items }),
    )
  }
  return messages
}

/** First start and last finish of the run, and the per-task timings the worker reports. */
class Observer implements WorkerMetrics {
  first = Number.POSITIVE_INFINITY
  last = 0
  finished = 0
  failed = 0
  readonly sums = { queue: 0, inference: 0, store: 0, total: 0 }
  readonly totals: number[] = []

  taskStarted(): void {
    if (this.first === Number.POSITIVE_INFINITY) this.first = performance.now()
  }

  taskFinished(event: TaskFinished): void {
    this.last = performance.now()
    this.finished++
    if (event.outcome === 'failed') this.failed++
    this.totals.push(event.timings.total)
    for (const key of ['queue', 'inference', 'store', 'total'] as const) {
      this.sums[key] += event.timings[key]
    }
  }

  retried(): void {}
  deadLettered(): void {}
}

export interface EndToEndResult {
  readonly tasks: number
  readonly items: number
  readonly tokens: number
  /** `worker.run` until idle: includes the idle detection at the end. */
  readonly runMs: number
  /** Process CPU time during the run (every thread), ms. */
  readonly cpuMs: number
  /** First task started → last task finished. */
  readonly activeMs: number
  readonly publishMs: number
  /** createWorker: store, source, reporter, model load. */
  readonly startMs: number
  readonly stored: number
  readonly meanTaskMs: { queue: number; inference: number; store: number; total: number }
  /** Task latency (the worker's `total`), nearest-rank percentiles. */
  readonly p50TaskMs: number
  readonly p95TaskMs: number
}

export interface EndToEndOptions {
  /** More config settings (e.g. `content.allowed_roots`), applied after the bench's own. */
  readonly extra?: readonly FlagSetting[]
}

export async function endToEnd(
  paths: Omit<ConfigPaths, 'dataDir'>,
  messages: readonly Uint8Array[],
  expectedItems: number | undefined,
  logger: Logger,
  options: EndToEndOptions = {},
): Promise<EndToEndResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'vectorize-bench-e2e-'))
  const config: Config = await benchConfig({ ...paths, dataDir }, options.extra)
  const deps: Deps = { config, logger, resources: new Resources() }
  try {
    const signal = AbortSignal.timeout(600_000)
    const t0 = performance.now()
    const publisher = await openPublisher(deps)
    await publisher.publish(messages, { signal })
    await publisher.close()
    const t1 = performance.now()
    const observer = new Observer()
    const { worker, stats } = await createWorker(deps, { untilIdle: true, metrics: observer })
    const t2 = performance.now()
    const run = await timed(() => worker.run({ untilIdle: true }))
    if (stats.succeeded !== messages.length || stats.failed > 0) {
      throw new Error(
        `end to end: ${stats.succeeded} of ${messages.length} tasks succeeded, ${stats.failed} failed`,
      )
    }
    const stored = await (await openStore(deps)).count(COLLECTION, { signal })
    if (expectedItems !== undefined && stored !== expectedItems) {
      throw new Error(`end to end: ${stored} vectors stored, expected ${expectedItems}`)
    }
    const n = observer.finished || 1
    return {
      tasks: messages.length,
      items: stats.items,
      tokens: stats.tokens,
      runMs: run.ms,
      cpuMs: run.cpuMs,
      activeMs: observer.last - observer.first,
      publishMs: t1 - t0,
      startMs: t2 - t1,
      stored,
      meanTaskMs: {
        queue: observer.sums.queue / n,
        inference: observer.sums.inference / n,
        store: observer.sums.store / n,
        total: observer.sums.total / n,
      },
      p50TaskMs: percentile(observer.totals, 50),
      p95TaskMs: percentile(observer.totals, 95),
    }
  } finally {
    await deps.resources.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}
