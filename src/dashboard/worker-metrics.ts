/**
 * What the dashboard reads from one worker's /metrics (observability/metrics.ts names them):
 * counters summed over their labels, the task latency histograms summed over task types, the
 * gauges of the present.
 */
import type { Stage } from './api-types.ts'
import type { Sample } from './prometheus-text.ts'

export { stages, type Stage } from './api-types.ts'

/** Cumulative bucket counts by upper bound (`le`), as Prometheus histograms keep them. */
export type Buckets = ReadonlyMap<number, number>

export interface ScrapedMetrics {
  readonly workerId?: string
  readonly version?: string
  readonly succeeded: number
  readonly failed: number
  readonly items: number
  readonly tokens: number
  readonly retries: number
  readonly deadLetters: number
  readonly errorsByCode: Readonly<Record<string, number>>
  readonly latency: Readonly<Record<Stage, Buckets>>
  readonly active?: number
  readonly maxConcurrent?: number
  readonly lag: readonly { readonly partition: number; readonly messages: number }[]
  readonly rssBytes?: number
  readonly cpuSeconds?: number
  readonly eventLoopLagSeconds?: number
  readonly models: readonly { readonly model: string; readonly memoryBytes?: number }[]
}

const histogramNames: Record<Stage, string> = {
  queue: 'vectorize_task_queue_seconds_bucket',
  inference: 'vectorize_task_inference_seconds_bucket',
  store: 'vectorize_task_store_seconds_bucket',
  total: 'vectorize_task_duration_seconds_bucket',
}

export function scrapedMetrics(samples: readonly Sample[]): ScrapedMetrics {
  const sum = (name: string, match: (l: Sample['labels']) => boolean = () => true) =>
    samples.reduce((n, s) => (s.name === name && match(s.labels) ? n + s.value : n), 0)
  const one = (name: string) => samples.find((s) => s.name === name)
  const info = one('vectorize_worker_info')?.labels
  const latency = Object.fromEntries(
    Object.entries(histogramNames).map(([stage, name]) => [stage, buckets(samples, name)]),
  ) as Record<Stage, Buckets>
  const errorsByCode: Record<string, number> = {}
  for (const s of samples) {
    if (s.name !== 'vectorize_task_errors_total') continue
    const code = s.labels.code ?? 'unknown'
    errorsByCode[code] = (errorsByCode[code] ?? 0) + s.value
  }
  return {
    ...(info?.worker_id !== undefined && { workerId: info.worker_id }),
    ...(info?.version !== undefined && { version: info.version }),
    succeeded: sum('vectorize_tasks_total', (l) => l.outcome === 'succeeded'),
    failed: sum('vectorize_tasks_total', (l) => l.outcome === 'failed'),
    items: sum('vectorize_items_embedded_total'),
    tokens: sum('vectorize_tokens_embedded_total'),
    retries: sum('vectorize_task_retries_total'),
    deadLetters: sum('vectorize_dead_letters_total'),
    errorsByCode,
    latency,
    ...optional('active', one('vectorize_tasks_active')?.value),
    ...optional('maxConcurrent', one('vectorize_tasks_max_concurrent')?.value),
    lag: samples
      .filter((s) => s.name === 'vectorize_source_lag_messages')
      .map((s) => ({ partition: Number(s.labels.partition), messages: s.value })),
    ...optional('rssBytes', one('process_resident_memory_bytes')?.value),
    ...optional('cpuSeconds', one('process_cpu_seconds_total')?.value),
    ...optional('eventLoopLagSeconds', one('nodejs_eventloop_lag_seconds')?.value),
    models: samples
      .filter((s) => s.name === 'vectorize_model_loaded' && s.value === 1)
      .map((s) => {
        const model = s.labels.model ?? ''
        const memory = samples.find(
          (m) => m.name === 'vectorize_model_memory_bytes' && m.labels.model === model,
        )
        return { model, ...optional('memoryBytes', memory?.value) }
      }),
  }
}

/** A histogram's buckets summed over its other labels (task types). */
function buckets(samples: readonly Sample[], name: string): Buckets {
  const out = new Map<number, number>()
  for (const s of samples) {
    if (s.name !== name || s.labels.le === undefined) continue
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le)
    if (Number.isNaN(le)) continue
    out.set(le, (out.get(le) ?? 0) + s.value)
  }
  return out
}

function optional<K extends string>(key: K, value: number | undefined) {
  return (value === undefined || Number.isNaN(value) ? {} : { [key]: value }) as Partial<
    Record<K, number>
  >
}

/**
 * The `q` quantile (0..1) of the observations counted in `buckets`, interpolated linearly inside
 * the bucket it falls in, as Prometheus' histogram_quantile does; undefined with no observations.
 * Observations past the last finite bound are reported at that bound.
 */
export function quantile(q: number, buckets: Buckets): number | undefined {
  const bounds = [...buckets.keys()].sort((a, b) => a - b)
  const total = buckets.get(Infinity) ?? buckets.get(bounds[bounds.length - 1] ?? 0) ?? 0
  if (total <= 0) return undefined
  const rank = q * total
  let lowerBound = 0
  let lowerCount = 0
  for (const bound of bounds) {
    const count = buckets.get(bound) ?? 0
    if (count >= rank) {
      if (bound === Infinity) return lowerBound
      const inBucket = count - lowerCount
      return inBucket <= 0
        ? bound
        : lowerBound + (bound - lowerBound) * ((rank - lowerCount) / inBucket)
    }
    lowerBound = bound
    lowerCount = count
  }
  return lowerBound
}

/** `later - earlier` per bound, counting a reset (a restarted worker) as starting from zero. */
export function bucketDelta(later: Buckets, earlier: Buckets | undefined): Map<number, number> {
  const reset = [...later].some(([le, n]) => n < (earlier?.get(le) ?? 0))
  const out = new Map<number, number>()
  for (const [le, n] of later) out.set(le, reset ? n : n - (earlier?.get(le) ?? 0))
  return out
}
