/**
 * One bench:kafka row from what a run observed. Windows:
 * - processing: first `started` → last `succeeded` (the workers' own `at` stamps); tasks/s and
 *   texts/s are over it.
 * - drain: first `started` (the whole backlog waiting) → the first sample with the group's lag at
 *   0 (committed offsets, so it includes the last commit).
 * - CPU: the last sample at or before the first `started` → the first sample with every task seen
 *   succeeded; worker CPU-seconds over it give the figure per core (tasks per worker CPU-second:
 *   what one worker does with one core to itself), the broker's and Weaviate's are beside it.
 */
import { percentile } from './measure.ts'
import type { Progress } from './kafka-follow.ts'
import type { Sample } from './kafka-sampler.ts'

export interface Run {
  readonly workers: number
  readonly concurrency: number
  readonly kind: string
  readonly tasks: number
  readonly texts: number
  readonly submitS: number
  /** Spawn → every worker ready (/ready: model loaded) and in the group, before the backlog is sent. */
  readonly startupS: number
  readonly processingS: number
  readonly tasksPerS: number
  readonly textsPerS: number
  /** The worker's `timings_ms.total` (start → result), from the results topic. */
  readonly latencyMs: { p50: number; p95: number; max: number }
  readonly inferenceMsP50: number
  readonly storeMsP50: number
  /** `started` → `succeeded` from the status topic (adds the reports' round trips). */
  readonly statusMs: { p50: number; p95: number }
  /** The largest lag sampled: the backlog (submitted while the workers already ran). */
  readonly backlog: number
  readonly drainS: number | undefined
  readonly cpuWindowS: number
  readonly workerCpuS: readonly (number | undefined)[]
  /** Worker CPU-seconds from spawn to the end (model load included). */
  readonly workerCpuTotalS: number | undefined
  readonly brokerCpuS: number | undefined
  readonly storeCpuS: number | undefined
  /** Worker CPU-seconds / window: cores the workers kept busy. */
  readonly workerCores: number | undefined
  readonly tasksPerWorkerCpuS: number | undefined
  readonly textsPerWorkerCpuS: number | undefined
  readonly load: { before: number; mean: number; max: number }
  readonly peakRssMiB: readonly (number | undefined)[]
  readonly perWorker: Record<string, number>
  readonly stored: number
}

export interface Observed {
  readonly workers: number
  readonly concurrency: number
  readonly kind: string
  readonly tasks: number
  readonly texts: number
  readonly submitS: number
  readonly startupS: number
  readonly loadBefore: number
  readonly samples: readonly Sample[]
  readonly progress: Progress
  readonly peakRss: readonly (number | undefined)[]
  readonly stored: number
}

const sumOf = (values: readonly (number | undefined)[]) =>
  values.every((v) => v !== undefined) ? values.reduce<number>((a, v) => a + v, 0) : undefined

const minus = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? undefined : a - b

const round = (v: number | undefined, digits = 2) =>
  v === undefined ? undefined : Math.round(v * 10 ** digits) / 10 ** digits

/** The samples that bound the CPU window (see the file comment). */
function cpuWindow(o: Observed): [Sample, Sample] {
  const { samples, progress } = o
  const before = samples.filter((s) => s.at <= progress.firstStarted)
  const start = before.at(-1) ?? samples[0]!
  const end = samples.find((s) => s.at >= progress.lastSucceeded) ?? samples.at(-1)!
  return [start, end]
}

function cpu(o: Observed) {
  const [start, end] = cpuWindow(o)
  const workerCpuS = end.workerCpuS.map((c, i) => minus(c, start.workerCpuS[i]))
  const total = sumOf(workerCpuS)
  const windowS = (end.at - start.at) / 1000
  const during = o.samples.filter((s) => s.at >= start.at && s.at <= end.at)
  const loads = during.map((s) => s.load1)
  return {
    cpuWindowS: round(windowS)!,
    workerCpuS: workerCpuS.map((c) => round(c)),
    workerCpuTotalS: round(sumOf(end.workerCpuS)),
    brokerCpuS: round(minus(end.brokerCpuS, start.brokerCpuS)),
    storeCpuS: round(minus(end.storeCpuS, start.storeCpuS)),
    workerCores: round(total === undefined ? undefined : total / windowS),
    tasksPerWorkerCpuS: round(total ? o.tasks / total : undefined, 1),
    textsPerWorkerCpuS: round(total ? o.texts / total : undefined, 1),
    load: {
      before: round(o.loadBefore)!,
      mean: round(loads.reduce((a, l) => a + l, 0) / Math.max(1, loads.length))!,
      max: round(Math.max(0, ...loads))!,
    },
  }
}

export function summarize(o: Observed): Run {
  const { progress } = o
  const processingS = (progress.lastSucceeded - progress.firstStarted) / 1000
  const totals = progress.timings.map((t) => t.total)
  const drained = o.samples.find((s) => s.at >= progress.firstStarted && s.lag === 0)
  return {
    workers: o.workers,
    concurrency: o.concurrency,
    kind: o.kind,
    tasks: o.tasks,
    texts: o.texts,
    submitS: round(o.submitS)!,
    startupS: round(o.startupS)!,
    processingS: round(processingS)!,
    tasksPerS: round(o.tasks / processingS, 1)!,
    textsPerS: round(o.texts / processingS, 1)!,
    latencyMs: {
      p50: Math.round(percentile(totals, 50)),
      p95: Math.round(percentile(totals, 95)),
      max: Math.round(percentile(totals, 100)),
    },
    inferenceMsP50: Math.round(
      percentile(
        progress.timings.map((t) => t.inference),
        50,
      ),
    ),
    storeMsP50: Math.round(
      percentile(
        progress.timings.map((t) => t.store),
        50,
      ),
    ),
    statusMs: {
      p50: Math.round(percentile(progress.statusMs, 50)),
      p95: Math.round(percentile(progress.statusMs, 95)),
    },
    backlog: Math.max(0, ...o.samples.map((s) => s.lag)),
    drainS: round(drained && (drained.at - progress.firstStarted) / 1000),
    ...cpu(o),
    peakRssMiB: o.peakRss.map((b) => (b === undefined ? undefined : Math.round(b / 2 ** 20))),
    perWorker: progress.perWorker,
    stored: o.stored,
  }
}
