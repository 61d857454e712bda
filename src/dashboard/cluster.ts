/**
 * Cluster: the dashboard's one reader of the cluster. Every `refresh_ms` it reads the live workers
 * (one Redis read), scrapes each one's /metrics once (bounded in time), reads the lag, the task
 * counts (Kafka: from the one tail of the status topic, in memory) and the dead-letter summary, and
 * publishes one Snapshot to every page: however many pages
 * are open, the workers see one scrape per refresh. A part that fails is shown as unavailable with
 * its reason; the others still show.
 */
import type { Logger } from '../observability/logger.ts'
import type { WorkerRecord } from '../observability/worker-record.ts'
import type {
  CountersView,
  CountsView,
  DeadLetterSummaryView,
  LagView,
  Snapshot,
  Unavailable,
  WorkerRow,
} from './api-types.ts'
import { History } from './history.ts'
import type { Scrape } from './scrape.ts'
import type { ScrapedMetrics } from './worker-metrics.ts'

/** What the cluster is read from; main.ts picks them for the mode. */
export interface ClusterSources {
  readonly mode: 'kafka' | 'local'
  /** Where the worker list comes from, for the page. */
  readonly discovery: string
  workers(): Promise<WorkerRecord[]>
  scrape(metricsUrl: string): Promise<Scrape>
  /** The group's lag (Kafka); absent: the lag is read from the workers' /metrics. */
  lag?(signal: AbortSignal): Promise<LagView>
  counts?(signal: AbortSignal): Promise<CountsView>
  deadLetters?(signal: AbortSignal): Promise<DeadLetterSummaryView>
  /** What this set-up cannot show. */
  readonly notes: readonly string[]
  /** The list is a guess (a configured address, no heartbeat): only workers that answer count. */
  readonly unverified?: boolean
}

export interface ClusterOptions {
  readonly refreshMs: number
  readonly logger: Logger
  /** Latency quantiles are over this window. */
  readonly windowMs?: number
  /** History kept for the charts. */
  readonly historyMs?: number
}

type Listener = (snapshot: Snapshot) => void

export class Cluster {
  readonly #sources: ClusterSources
  readonly #options: ClusterOptions
  readonly #history: History
  readonly #listeners = new Set<Listener>()
  #latest: Snapshot | undefined
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #stopped = false

  constructor(sources: ClusterSources, options: ClusterOptions) {
    this.#sources = sources
    this.#options = options
    const capacity = Math.ceil((options.historyMs ?? 15 * 60_000) / options.refreshMs)
    this.#history = new History(Math.max(60, capacity), options.windowMs ?? 60_000)
  }

  /** Reads now, then every refresh. */
  start(): void {
    this.#tick()
  }

  /** The latest snapshot, reading one first if there is none yet. */
  async snapshot(): Promise<Snapshot> {
    if (this.#latest) return this.#latest
    await (this.#running ?? this.refresh())
    return this.#latest!
  }

  /** Calls `listener` with every new snapshot; returns its removal. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener)
    return () => void this.#listeners.delete(listener)
  }

  /** Reads the cluster once (the timer's work; tests call it to step). */
  refresh(): Promise<void> {
    this.#running ??= this.#read().finally(() => (this.#running = undefined))
    return this.#running
  }

  async close(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#running
    this.#listeners.clear()
  }

  #tick(): void {
    if (this.#stopped) return
    void this.refresh().finally(() => {
      if (this.#stopped) return
      this.#timer = setTimeout(() => this.#tick(), this.#options.refreshMs)
      this.#timer.unref()
    })
  }

  async #read(): Promise<void> {
    const signal = AbortSignal.timeout(Math.max(5_000, this.#options.refreshMs * 2))
    const sources = this.#sources
    const [workers, lag, counts, deadLetters] = await Promise.all([
      this.#workers(),
      sources.lag ? settle(sources.lag(signal)) : undefined,
      sources.counts
        ? settle(sources.counts(signal))
        : unavailable('not counted in this mode (see the notes)'),
      sources.deadLetters ? settle(sources.deadLetters(signal)) : unavailable('no dead letters'),
    ])
    const now = Date.now()
    const scraped = 'rows' in workers ? workers.scraped : new Map<string, ScrapedMetrics>()
    const point = this.#history.push(now, scraped)
    const rows = 'rows' in workers ? workers.rows.map((r) => this.#withRates(r)) : workers
    const snapshot: Snapshot = {
      at: now,
      mode: sources.mode,
      refresh_ms: this.#options.refreshMs,
      discovery: sources.discovery,
      workers: rows,
      ...(point.rates && { rates: point.rates }),
      totals: totals(scraped.values()),
      latency: point.latency,
      latency_window_s: (this.#options.windowMs ?? 60_000) / 1000,
      series: this.#history.series(),
      lag: lag ?? lagFromMetrics(scraped.values()),
      counts,
      dead_letters: deadLetters,
      notes: sources.notes,
    }
    this.#latest = snapshot
    for (const listener of this.#listeners) listener(snapshot)
  }

  async #workers(): Promise<
    { rows: (WorkerRow & { key: string })[]; scraped: Map<string, ScrapedMetrics> } | Unavailable
  > {
    let records: WorkerRecord[]
    try {
      records = await this.#sources.workers()
    } catch (err) {
      return { unavailable: message(err) }
    }
    const now = Date.now()
    const scraped = new Map<string, ScrapedMetrics>()
    const rows = await Promise.all(
      records.map(async (record) => {
        const key = `${record.id}@${record.started_at}`
        const result = record.metrics_url
          ? await this.#sources.scrape(record.metrics_url)
          : undefined
        if (result?.ok) scraped.set(key, result.metrics)
        return { key, ...row(record, result, now) }
      }),
    )
    const live = this.#sources.unverified ? rows.filter((r) => r.scrape.ok) : rows
    live.sort((a, b) => a.id.localeCompare(b.id))
    return { rows: live, scraped }
  }

  #withRates(row: WorkerRow & { key: string }): WorkerRow {
    const { key, ...rest } = row
    const rates = this.#history.rates(key)
    return { ...rest, ...(rates && { rates }) }
  }
}

function row(record: WorkerRecord, result: Scrape | undefined, now: number): WorkerRow {
  const beatAge = Math.max(0, now - Date.parse(record.updated_at))
  const m = result?.ok ? result.metrics : undefined
  return {
    id: record.id,
    host: record.host,
    pid: record.pid,
    version: record.version,
    state: record.state,
    active_tasks: m?.active ?? record.active_tasks,
    ...(record.max_tasks !== undefined && { max_tasks: record.max_tasks }),
    ...(record.devices !== undefined && { devices: record.devices }),
    models: record.models,
    started_at: record.started_at,
    uptime_s: Math.max(0, (now - Date.parse(record.started_at)) / 1000),
    beat_age_ms: beatAge,
    late: beatAge > 2 * record.interval_ms,
    interval_ms: record.interval_ms,
    ttl_ms: record.ttl_ms,
    ...(record.metrics_url !== undefined && { metrics_url: record.metrics_url }),
    scrape: !result
      ? { ok: false, error: 'no metrics_url' }
      : result.ok
        ? { ok: true, ms: Math.round(result.ms) }
        : { ok: false, error: result.error },
    ...(m && {
      counters: counters(m),
      lag: m.lag,
      errors_by_code: m.errorsByCode,
      model_memory: m.models,
      ...(m.rssBytes !== undefined && { rss_bytes: m.rssBytes }),
      ...(m.cpuSeconds !== undefined && { cpu_seconds: m.cpuSeconds }),
    }),
  }
}

function counters(m: ScrapedMetrics): CountersView {
  const { succeeded, failed, items, tokens, retries, deadLetters } = m
  return { succeeded, failed, items, tokens, retries, dead_letters: deadLetters }
}

function totals(all: Iterable<ScrapedMetrics>): CountersView {
  const sum = { succeeded: 0, failed: 0, items: 0, tokens: 0, retries: 0, dead_letters: 0 }
  for (const m of all) {
    const c = counters(m)
    for (const k of Object.keys(sum) as (keyof CountersView)[]) sum[k] += c[k]
  }
  return sum
}

/** The embedded queue's lag, as its worker reports it (one partition). */
function lagFromMetrics(all: Iterable<ScrapedMetrics>): LagView | Unavailable {
  const partitions = [...all].flatMap((m) => m.lag).map((p) => ({ ...p, lag: p.messages }))
  if (partitions.length === 0) return { unavailable: 'no running worker reports a lag' }
  const total = partitions.reduce((n, p) => n + p.lag, 0)
  return { source: "the worker's /metrics", total, partitions }
}

async function settle<T>(work: Promise<T>): Promise<T | Unavailable> {
  try {
    return await work
  } catch (err) {
    return { unavailable: message(err) }
  }
}

const unavailable = (reason: string): Unavailable => ({ unavailable: reason })
const message = (err: unknown) => (err instanceof Error ? err.message : String(err))
