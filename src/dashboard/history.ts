/**
 * History: a ring buffer of the cluster's scrapes, one point per refresh, and what the charts
 * need from it: throughput between consecutive points (counter deltas per worker instance; a
 * restarted worker counts from zero, a worker seen only once adds nothing yet) and latency
 * quantiles over a sliding window (histogram bucket deltas summed over the instances).
 */
import type { SeriesView } from './api-types.ts'
import type { Buckets, ScrapedMetrics, Stage } from './worker-metrics.ts'
import { bucketDelta, quantile, stages } from './worker-metrics.ts'

export interface Rates {
  /** Tasks finished per second (succeeded + failed). */
  readonly tasks: number
  readonly items: number
  readonly tokens: number
  /** Failed tasks per second. */
  readonly errors: number
}

export type Latency = Readonly<Record<Stage, { readonly p50?: number; readonly p95?: number }>>

export interface Point {
  /** ms since the epoch */
  readonly t: number
  /** Scrapes by worker instance (`id@started_at`). */
  readonly instances: ReadonlyMap<string, ScrapedMetrics>
  /** Since the previous point; absent for the first. */
  readonly rates?: Rates
  /** Over the window ending at this point, in seconds. */
  readonly latency: Latency
}

/** The throughput and latency charts' data, as the API serves it. */
export type Series = SeriesView

export class History {
  readonly #capacity: number
  readonly #windowMs: number
  readonly #points: Point[] = []

  constructor(capacity: number, windowMs: number) {
    this.#capacity = capacity
    this.#windowMs = windowMs
  }

  push(t: number, instances: ReadonlyMap<string, ScrapedMetrics>): Point {
    const previous = this.#points[this.#points.length - 1]
    const rates = previous && t > previous.t ? ratesBetween(previous, { t, instances }) : undefined
    const start = this.#points.find((p) => p.t >= t - this.#windowMs) ?? previous
    const point: Point = {
      t,
      instances,
      ...(rates && { rates }),
      latency: latencyBetween(start?.instances, instances),
    }
    this.#points.push(point)
    if (this.#points.length > this.#capacity) this.#points.shift()
    return point
  }

  get latest(): Point | undefined {
    return this.#points[this.#points.length - 1]
  }

  /** One instance's throughput between the last two points it appears in. */
  rates(instance: string): Rates | undefined {
    const [a, b] = this.#points.slice(-2)
    const before = a?.instances.get(instance)
    const now = b?.instances.get(instance)
    if (!a || !b || !before || !now) return undefined
    return ratesOf([[before, now]], (b.t - a.t) / 1000)
  }

  series(): Series {
    const points = this.#points
    const pick = (f: (r: Rates) => number) => points.map((p) => (p.rates ? f(p.rates) : null))
    const stage = (q: 'p50' | 'p95') =>
      Object.fromEntries(
        stages.map((s) => [s, points.map((p) => p.latency[s][q] ?? null)]),
      ) as Record<Stage, (number | null)[]>
    return {
      t: points.map((p) => p.t),
      tasks: pick((r) => r.tasks),
      items: pick((r) => r.items),
      tokens: pick((r) => r.tokens),
      errors: pick((r) => r.errors),
      p50: stage('p50'),
      p95: stage('p95'),
    }
  }
}

function ratesBetween(a: Pick<Point, 't' | 'instances'>, b: Pick<Point, 't' | 'instances'>) {
  const pairs: [ScrapedMetrics, ScrapedMetrics][] = []
  for (const [key, now] of b.instances) {
    const before = a.instances.get(key)
    if (before) pairs.push([before, now])
  }
  return ratesOf(pairs, (b.t - a.t) / 1000)
}

function ratesOf(pairs: readonly [ScrapedMetrics, ScrapedMetrics][], seconds: number): Rates {
  const total = (f: (m: ScrapedMetrics) => number) =>
    pairs.reduce((n, [before, now]) => n + counterDelta(f(now), f(before)), 0) / seconds
  const errors = total((m) => m.failed)
  return {
    tasks: total((m) => m.succeeded) + errors,
    items: total((m) => m.items),
    tokens: total((m) => m.tokens),
    errors,
  }
}

/** How much a counter grew; a counter that went down was reset (its process restarted). */
export function counterDelta(now: number, before: number): number {
  return now >= before ? now - before : now
}

function latencyBetween(
  start: ReadonlyMap<string, ScrapedMetrics> | undefined,
  end: ReadonlyMap<string, ScrapedMetrics>,
): Latency {
  const out = {} as Record<Stage, { p50?: number; p95?: number }>
  for (const stage of stages) {
    const summed = new Map<number, number>()
    for (const [key, now] of end) {
      const before: Buckets | undefined = start?.get(key)?.latency[stage]
      for (const [le, n] of bucketDelta(now.latency[stage], before)) {
        summed.set(le, (summed.get(le) ?? 0) + n)
      }
    }
    const p50 = quantile(0.5, summed)
    const p95 = quantile(0.95, summed)
    out[stage] = { ...(p50 !== undefined && { p50 }), ...(p95 !== undefined && { p95 }) }
  }
  return out
}
