/** bench:kafka's two tables: throughput and latency, then what it cost (CPU, memory, load). */
import { alignedTable, compact, n } from './format.ts'
import type { Run } from './kafka-summary.ts'

const fixed = (v: number | undefined, digits = 1) => (v === undefined ? '?' : v.toFixed(digits))
const list = (values: readonly (number | undefined)[], digits = 1) =>
  values.map((v) => fixed(v, digits)).join(' / ')

export function throughputTable(runs: readonly Run[]): string {
  const header = [
    'workers',
    'in flight',
    'tasks',
    'start-up s',
    'processing s',
    'tasks/s',
    'texts/s',
    'p50 ms',
    'p95 ms',
    'inference p50',
    'store p50',
    'drain s',
    'tasks per worker',
  ]
  const rows = runs.map((r) => [
    String(r.workers),
    String(r.concurrency),
    n(r.tasks),
    fixed(r.startupS),
    fixed(r.processingS),
    compact(r.tasksPerS),
    compact(r.textsPerS),
    n(r.latencyMs.p50),
    n(r.latencyMs.p95),
    n(r.inferenceMsP50),
    n(r.storeMsP50),
    fixed(r.drainS),
    Object.entries(r.perWorker)
      .sort()
      .map(([, count]) => n(count))
      .join(' / '),
  ])
  return alignedTable(header, rows)
}

/** `storeName` undefined: an embedded store, with no server of its own to measure. */
export function costTable(runs: readonly Run[], storeName: string | undefined): string {
  const header = [
    'workers',
    'window s',
    'worker CPU-s',
    'cores busy',
    'tasks/CPU-s',
    'texts/CPU-s',
    'broker CPU-s',
    ...(storeName ? [`${storeName} CPU-s`] : []),
    'load mean',
    'load max',
    'peak RSS MiB',
    'stored',
  ]
  const rows = runs.map((r) => [
    String(r.workers),
    fixed(r.cpuWindowS),
    list(r.workerCpuS),
    fixed(r.workerCores, 2),
    fixed(r.tasksPerWorkerCpuS),
    fixed(r.textsPerWorkerCpuS),
    fixed(r.brokerCpuS),
    ...(storeName ? [fixed(r.storeCpuS)] : []),
    fixed(r.load.mean, 2),
    fixed(r.load.max, 2),
    list(r.peakRssMiB, 0),
    n(r.stored),
  ])
  return alignedTable(header, rows)
}
