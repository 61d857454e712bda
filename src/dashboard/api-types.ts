/**
 * The JSON the dashboard's API serves, shared by the server and the page (src/dashboard/ui): plain
 * shapes with no runtime code, so the browser bundle compiles them without Node's types.
 */

export type Unavailable = { readonly unavailable: string }

export const stages = ['queue', 'inference', 'store', 'total'] as const
export type Stage = (typeof stages)[number]

export interface RatesView {
  readonly tasks: number
  readonly items: number
  readonly tokens: number
  readonly errors: number
}

export interface CountersView {
  readonly succeeded: number
  readonly failed: number
  readonly items: number
  readonly tokens: number
  readonly retries: number
  readonly dead_letters: number
}

export interface WorkerRow {
  readonly id: string
  readonly host: string
  readonly pid: number
  readonly version: string
  readonly state: string
  readonly active_tasks: number
  readonly max_tasks?: number
  readonly devices?: readonly string[]
  readonly models: readonly string[]
  readonly started_at: string
  readonly uptime_s: number
  /** Since its last heartbeat. */
  readonly beat_age_ms: number
  /** No beat for two intervals: late, and gone once its TTL runs out. */
  readonly late: boolean
  readonly interval_ms: number
  readonly ttl_ms: number
  readonly metrics_url?: string
  readonly scrape:
    | { readonly ok: true; readonly ms: number }
    | { readonly ok: false; readonly error: string }
    | { readonly ok: false; readonly error: 'no metrics_url' }
  readonly counters?: CountersView
  readonly rates?: RatesView
  readonly rss_bytes?: number
  readonly cpu_seconds?: number
  readonly lag?: readonly { readonly partition: number; readonly messages: number }[]
  readonly errors_by_code?: Readonly<Record<string, number>>
  readonly model_memory?: readonly { readonly model: string; readonly memoryBytes?: number }[]
}

export interface LagView {
  /** Where it comes from: the group's committed offsets (Kafka) or the worker's /metrics (embedded). */
  readonly source: string
  readonly total: number
  readonly partitions: readonly {
    readonly partition: number
    readonly lag: number
    readonly end?: number
    readonly committed?: number | null
  }[]
}

export interface SeriesView {
  readonly t: readonly number[]
  readonly tasks: readonly (number | null)[]
  readonly items: readonly (number | null)[]
  readonly tokens: readonly (number | null)[]
  readonly errors: readonly (number | null)[]
  readonly p50: Readonly<Record<Stage, readonly (number | null)[]>>
  readonly p95: Readonly<Record<Stage, readonly (number | null)[]>>
}

export interface DeadLetterSummaryView {
  readonly kind: 'kafka' | 'local'
  readonly where: string
  readonly total: number
  readonly pending: number
  readonly replayed: number
  readonly discarded: number
  readonly recentCodes: readonly { readonly code: string; readonly count: number }[]
  readonly recent: number
}

/** Tasks per state. */
export interface CountsView {
  readonly states: Readonly<Record<string, number>>
  /** Kafka: only the tasks with a status record in a recent window are counted. */
  readonly window?: CountsWindowView
}

/** The window of Kafka's counts (reporters/kafka-state-counts.ts). */
export interface CountsWindowView {
  /** Tasks with a status record this recent are counted (`dashboard.state_window_ms`). */
  readonly window_ms: number
  /** Most tasks kept (`dashboard.state_max_tasks`). */
  readonly max_tasks: number
  readonly tasks: number
  /** Tasks dropped to stay within `max_tasks`, since the dashboard started. */
  readonly evicted: number
  /** The last record of the oldest task counted, ms since the epoch. */
  readonly oldest?: number
  /** The tail has read the status topic to its end: before that the counts are still growing. */
  readonly caught_up: boolean
  /** Why the tail is not reading now, while it is not. */
  readonly error?: string
}

export interface Snapshot {
  /** ms since the epoch */
  readonly at: number
  readonly mode: 'kafka' | 'local'
  readonly refresh_ms: number
  /** Where the worker list comes from. */
  readonly discovery: string
  readonly workers: readonly WorkerRow[] | Unavailable
  readonly rates?: RatesView
  /** Summed over the live workers' /metrics (since each started). */
  readonly totals: CountersView
  readonly latency: Readonly<Record<Stage, { readonly p50?: number; readonly p95?: number }>>
  readonly latency_window_s: number
  readonly series: SeriesView
  readonly lag: LagView | Unavailable
  readonly counts: CountsView | Unavailable
  readonly dead_letters: DeadLetterSummaryView | Unavailable
  /** What this mode or set-up cannot show, said plainly. */
  readonly notes: readonly string[]
}

export interface ShownBytes {
  readonly bytes: number
  readonly json?: unknown
  readonly text?: string
  readonly base64?: string
  readonly cut?: boolean
}

export interface HandledView {
  readonly id: string
  readonly state: 'replayed' | 'discarded'
  readonly at: string
  readonly by: string
  readonly taskId: string
  readonly code: string
  readonly replay?: number
}

export interface ShownLetter {
  readonly id: string
  readonly partition: number
  readonly offset: number
  readonly at: string
  readonly state: 'pending' | 'replayed' | 'discarded'
  readonly handled?: HandledView
  readonly replays: number
  readonly task_id: string
  readonly error: { readonly class: string; readonly code: string; readonly message: string }
  readonly origin: { readonly topic: string; readonly partition: number; readonly offset: number }
  readonly attempts: number
  readonly worker_id: string
  readonly headers: Readonly<Record<string, string>>
  readonly key?: ShownBytes
  readonly payload: ShownBytes
  readonly truncated?: { readonly bytes: number; readonly sha256: string }
}

export interface LetterPageView {
  readonly letters: readonly ShownLetter[]
  readonly next?: Readonly<Record<string, number>>
  readonly scanned: number
}

export interface ActionResultView {
  readonly action: 'replay' | 'discard'
  readonly by: string
  readonly done: readonly string[]
  readonly skipped: readonly { readonly id: string; readonly reason: string }[]
}

export interface HistoryEntryView {
  readonly state: string
  readonly at: string
  readonly worker_id: string
  readonly progress?: { readonly done: number; readonly total: number }
  readonly error?: { readonly code: string; readonly message: string; readonly retriable: boolean }
  /** A record compaction wrote in place of the task's earlier records (embedded queue). */
  readonly compacted_attempts?: number
  /** Stamped earlier than the state before it: the task kept that state. */
  readonly stale?: true
}

/** A task's status records, oldest first (reporters/task-history.ts). */
export interface HistoryView {
  readonly records: readonly HistoryEntryView[]
  /** Older records were compacted away: the first one stands for them. */
  readonly compacted: boolean
  /** Records left out between the first ones and the latest ones. */
  readonly omitted: number
}

export interface TaskView {
  readonly task?: {
    readonly task_id: string
    readonly state: string
    readonly updated_at: string
    readonly worker_id: string
    readonly attempts: number
    readonly progress?: { readonly done: number; readonly total: number }
    readonly error?: {
      readonly code: string
      readonly message: string
      readonly retriable: boolean
    }
    readonly result?: {
      readonly collection: string
      readonly model: string
      readonly dimensions: number
      readonly ids: readonly string[]
      readonly counts: Readonly<Record<string, number>>
      readonly timings_ms: Readonly<Record<string, number>>
      readonly worker_id: string
    }
    readonly history?: HistoryView
  }
  /** Why the task's status cannot be shown, where it cannot. */
  readonly status_unavailable?: string
  /** Kafka: what the lookup read of each topic, and whether it reached the end in time. */
  readonly scanned?: readonly {
    readonly topic: string
    readonly records: number
    readonly total: number
    readonly complete: boolean
    readonly ms: number
  }[]
  readonly dead_letters: readonly ShownLetter[]
}

export interface CollectionView {
  readonly name: string
  readonly count: number
  readonly dimensions: number
  readonly distance: string
  readonly model: string
}

export interface CollectionsView {
  readonly store: string
  readonly collections: readonly CollectionView[]
}

export interface SearchHitView {
  readonly id: string
  readonly score: number
  readonly documentId: string
  readonly chunkIndex: number
  readonly taskId: string
  readonly text: string
  readonly metadata: Readonly<Record<string, unknown>>
  /** A data: URL of a small thumbnail, for image vectors whose source the dashboard may read. */
  readonly thumbnail?: string
}

/** What the page knows from the start (in the HTML shell). */
export interface Boot {
  readonly mode: 'kafka' | 'local'
  readonly allowActions: boolean
  readonly refreshMs: number
  readonly version: string
}
