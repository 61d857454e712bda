/**
 * The readiness checks and metric probes of a running worker, over its contracts only: the
 * source reachable, the store reachable, the default model loaded, the worker running. The source
 * and the store are probed in the background (probes.ts), one call at a time each; `/ready` shows
 * their latest result and its age, and the consumer lag in `/metrics` is the source probe's.
 */
import type { ModelInfo } from '../models/embedder.ts'
import type { SourceLag, TaskSource } from '../sources/source.ts'
import type { VectorStore } from '../stores/store.ts'
import type { Readiness, ReadinessCheck } from './http.ts'
import type { MetricsProbes } from './metrics.ts'
import { CachedProbe, type ProbeSettings } from './probes.ts'
import type { Watchdog } from './watchdog.ts'

export interface ObservedWorker {
  readonly worker: {
    readonly state: string
    readonly activeTasks: number
    readonly maxConcurrentTasks: number
  }
  readonly source: TaskSource
  readonly store: VectorStore
  readonly models: {
    isLoaded(): boolean
    loaded(): readonly ModelInfo[]
    readonly activity: { readonly pending: number; readonly lastProgressAt: number }
  }
}

interface SourceProbe {
  readonly kind: string
  readonly lag?: readonly SourceLag[]
}

/** The background probes of a worker's source and store; `close` stops them. */
export class WorkerProbes {
  readonly source: CachedProbe<SourceProbe>
  readonly store: CachedProbe<void>

  constructor(w: ObservedWorker, settings: ProbeSettings) {
    this.source = new CachedProbe(
      'source',
      async (opts) => ({ kind: w.source.kind, ...(await w.source.probe?.(opts)) }),
      settings,
    ).start()
    this.store = new CachedProbe('store', (opts) => w.store.health(opts), settings).start()
  }

  /** The consumer lag of the latest fresh source result; undefined when it failed or is too old. */
  lag(): readonly SourceLag[] | undefined {
    const reading = this.source.read()
    return reading.ok ? reading.value?.lag : undefined
  }

  close(): Promise<void> {
    this.source.close()
    this.store.close()
    return Promise.resolve()
  }
}

export function addReadinessChecks(
  readiness: Readiness,
  w: ObservedWorker,
  probes: WorkerProbes,
): void {
  for (const check of liveChecks(w)) readiness.add(check)
  readiness.addProbe('source', true, probes.source)
  readiness.addProbe('store', true, probes.store)
}

/** The checks answered from memory on every request. */
function liveChecks(w: ObservedWorker): ReadinessCheck[] {
  return [
    {
      name: 'worker',
      required: true,
      check: () => {
        const { state } = w.worker
        return state === 'running' ? Promise.resolve({ state }) : Promise.reject(new Error(state))
      },
    },
    {
      name: 'model',
      required: true,
      check: () => {
        const loaded = w.models.loaded().map((m) => m.identity)
        if (w.models.isLoaded()) return Promise.resolve({ loaded })
        return Promise.reject(
          new Error(`default model not loaded (loaded: ${loaded.join(', ') || 'none'})`),
        )
      },
    },
  ]
}

export function metricsProbes(
  w: ObservedWorker,
  watchdog: Watchdog,
  probes: WorkerProbes,
): MetricsProbes {
  return {
    activeTasks: () => w.worker.activeTasks,
    maxConcurrentTasks: () => w.worker.maxConcurrentTasks,
    inference: () => ({
      pending: w.models.activity.pending,
      stalledMs: watchdog.inferenceStalledMs(),
    }),
    lag: () => probes.lag(),
  }
}
