/**
 * The readiness checks and metric probes of a running worker, over its contracts only: the
 * source reachable, the store reachable, the default model loaded, the worker running.
 */
import type { ModelInfo } from '../models/embedder.ts'
import type { TaskSource } from '../sources/source.ts'
import type { VectorStore } from '../stores/store.ts'
import type { ReadinessCheck } from './http.ts'
import type { MetricsProbes } from './metrics.ts'
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

export function readinessChecks(w: ObservedWorker): ReadinessCheck[] {
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
      name: 'source',
      required: true,
      check: async (opts) => ({ kind: w.source.kind, ...(await w.source.probe?.(opts)) }),
    },
    {
      name: 'store',
      required: true,
      check: (opts) => w.store.health(opts),
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

export function metricsProbes(w: ObservedWorker, watchdog: Watchdog): MetricsProbes {
  return {
    activeTasks: () => w.worker.activeTasks,
    maxConcurrentTasks: () => w.worker.maxConcurrentTasks,
    inference: () => ({
      pending: w.models.activity.pending,
      stalledMs: watchdog.inferenceStalledMs(),
    }),
    lag: async () => (await w.source.probe?.({ signal: AbortSignal.timeout(2_000) }))?.lag,
  }
}
