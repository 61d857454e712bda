/**
 * A real Worker (main.ts `assembleWorker`: processor, reports, retries, commits) over the fakes of
 * test/fakes: an in-memory log, store, reporter and model manager. Fast (no ONNX, no LanceDB, no
 * files), for the worker paths that need a fault at an exact point.
 */
import { assembleWorker } from '../../src/main.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import type { VectorStore } from '../../src/stores/store.ts'
import type { WorkerMetrics } from '../../src/worker/metrics.ts'
import { FakeModels, type FakeModelsOptions } from '../fakes/fake-models.ts'
import { MemoryLog } from '../fakes/memory-source.ts'
import { MemoryReporter } from '../fakes/memory-reporter.ts'
import { MemoryStore } from '../fakes/memory-store.ts'
import { testConfig } from './config.ts'

export interface FakeWorkerOptions {
  readonly log?: MemoryLog
  readonly store?: VectorStore
  readonly reporter?: MemoryReporter
  readonly models?: FakeModels | FakeModelsOptions
  readonly taskTimeoutMs?: number
  readonly maxConcurrentTasks?: number
  /** Observes the run, next to the worker's own RunStats (`vectorize worker` passes Prometheus'). */
  readonly metrics?: WorkerMetrics
  /** More `processing` settings (limits: max_text_bytes...). */
  readonly processing?: Record<string, unknown>
}

/** Fast retries: a test waits milliseconds, not the production backoff. */
export const fastRetry = {
  max_attempts: 5,
  max_elapsed_ms: 60_000,
  initial_delay_ms: 1,
  max_delay_ms: 5,
}

export function fakeWorker(options: FakeWorkerOptions = {}) {
  const log = options.log ?? new MemoryLog('tasks')
  const store = options.store ?? new MemoryStore()
  const reporter = options.reporter ?? new MemoryReporter()
  const models =
    options.models instanceof FakeModels ? options.models : new FakeModels(options.models)
  const config = testConfig({
    worker: { id: 'w-fake' },
    processing: {
      default_collection: 'docs',
      retry: fastRetry,
      task_timeout_ms: options.taskTimeoutMs ?? 60_000,
      max_concurrent_tasks: options.maxConcurrentTasks ?? 16,
      ...options.processing,
    },
  })
  const source = log.source()
  const parts = { source, store, reporter, models, logger: silentLogger, metrics: options.metrics }
  const { worker, stats } = assembleWorker(config, parts)
  return { log, store, reporter, models, source, worker, stats }
}

/** Task messages as the log holds them. */
export function submit(log: MemoryLog, tasks: readonly object[]): void {
  log.append(tasks.map((t) => new TextEncoder().encode(JSON.stringify({ version: 1, ...t }))))
}

export function textTask(id: string, text = `text of ${id}`) {
  return { task_id: id, type: 'text', collection: 'docs', text }
}

/** A `batch` task of `n` items whose texts start with the task id (so a fake can tell them apart). */
export function batchTask(id: string, n: number) {
  const items = Array.from({ length: n }, (_, i) => ({ id: `${id}-${i}`, text: `${id} item ${i}` }))
  return { task_id: id, type: 'batch', collection: 'docs', items }
}

/** Resolves when `signal` aborts, then throws its reason: a step that never ends by itself. */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason as Error)
    else signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })
  })
}
