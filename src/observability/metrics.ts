/**
 * Prometheus metrics (SPEC §4.6) on prom-client, in a registry of this worker's own (never the
 * global one, so several workers in one process — tests — don't collide). It implements the
 * worker's `WorkerMetrics` and the model manager's `ModelEvents`; gauges that describe the present
 * (active tasks, pending inference, consumer lag) are read from probes at scrape time.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { ModelEvents, ModelInfo } from '../models/embedder.ts'
import { taskTypes } from '../protocol/task.ts'
import type { SourceLag } from '../sources/source.ts'
import { errorCodes, type ErrorCode } from '../worker/errors.ts'
import type { TaskFinished, WorkerMetrics } from '../worker/metrics.ts'

/** What the metrics read when scraped; set once the worker exists (`observe`). */
export interface MetricsProbes {
  activeTasks(): number
  maxConcurrentTasks(): number
  inference(): { readonly pending: number; readonly stalledMs: number }
  /**
   * Consumer lag per partition, where the source can tell; undefined when it cannot. Read at
   * scrape time, so it answers from memory (the source is probed in the background, checks.ts).
   */
  lag?(): readonly SourceLag[] | undefined
}

/** prom-client default metrics that are gauges with a counter's `_total` suffix. */
const misnamedDefaults = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
]

const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]
const ITEMS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]
const TOKENS = [64, 256, 1024, 2048, 4096, 8192, 16384, 32768, 65536]

export class PrometheusMetrics implements WorkerMetrics, ModelEvents {
  readonly registry = new Registry()
  readonly #modelsSeen = new Set<string>()
  #probes: MetricsProbes | undefined
  readonly #tasks = this.#counter('vectorize_tasks_total', 'Tasks finished', ['type', 'outcome'])
  readonly #errors = this.#counter('vectorize_task_errors_total', 'Failed tasks by error', [
    'type',
    'code',
  ])
  readonly #retries = this.#counter('vectorize_task_retries_total', 'Retried attempts', ['code'])
  readonly #deadLetters = this.#counter('vectorize_dead_letters_total', 'Dead letters', ['code'])
  readonly #items = this.#counter('vectorize_items_embedded_total', 'Items embedded', [])
  readonly #tokens = this.#counter('vectorize_tokens_embedded_total', 'Input tokens embedded', [])
  readonly #queue = this.#seconds('vectorize_task_queue_seconds', 'Enqueued to started')
  readonly #inference = this.#seconds('vectorize_task_inference_seconds', 'Inference per task')
  readonly #store = this.#seconds('vectorize_task_store_seconds', 'Vector store writes per task')
  readonly #total = this.#seconds('vectorize_task_duration_seconds', 'Started to finished')
  readonly #batchItems = this.#histogram('vectorize_inference_batch_items', ITEMS, 'Items')
  readonly #batchTokens = this.#histogram('vectorize_inference_batch_tokens', TOKENS, 'Tokens')
  readonly #batchSeconds = this.#histogram('vectorize_inference_batch_seconds', SECONDS, 'Time')
  readonly #modelLoaded = this.#gauge('vectorize_model_loaded', '1 while loaded, 0 after', [
    'model',
  ])
  readonly #modelLoadSeconds = this.#gauge('vectorize_model_load_seconds', 'Last load time', [
    'model',
  ])
  readonly #modelMemory = this.#gauge(
    'vectorize_model_memory_bytes',
    'Resident memory the process grew by while loading the model (approximate)',
    ['model'],
  )
  readonly #modelLoads = this.#counter('vectorize_model_loads_total', 'Model loads', ['model'])

  constructor(options: { readonly workerId: string; readonly version: string }) {
    collectDefaultMetrics({ register: this.registry }) // process memory, CPU, event loop lag
    // Gauges named like counters, which `promtool check metrics` refuses ("non-counter metrics
    // should not have _total suffix"); sum(nodejs_active_handles) etc. give the same numbers.
    for (const name of misnamedDefaults) this.registry.removeSingleMetric(name)
    const info = this.#gauge('vectorize_worker_info', 'This worker', ['worker_id', 'version'])
    info.set({ worker_id: options.workerId, version: options.version }, 1)
    this.#initialise()
    this.#probeGauges()
  }

  /**
   * Every labelled series a worker can emit exists from the start, at 0: a series that appears on
   * first use has no earlier sample, so `increase()` and `rate()` miss its first events (issue 10:
   * `increase(vectorize_dead_letters_total[5m])` read 2.16 for 12 dead letters).
   */
  #initialise(): void {
    for (const type of [...taskTypes, 'unknown']) {
      for (const outcome of ['succeeded', 'failed']) this.#tasks.inc({ type, outcome }, 0)
      for (const code of errorCodes) this.#errors.inc({ type, code }, 0)
      for (const histogram of [this.#queue, this.#inference, this.#store, this.#total])
        histogram.zero({ type })
    }
    for (const code of errorCodes) {
      this.#retries.inc({ code }, 0)
      this.#deadLetters.inc({ code }, 0)
    }
  }

  get contentType(): string {
    return this.registry.contentType
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics()
  }

  observe(probes: MetricsProbes): void {
    this.#probes = probes
  }

  taskStarted(): void {}

  taskFinished(event: TaskFinished): void {
    const { type, outcome, timings } = event
    this.#tasks.inc({ type, outcome })
    if (outcome === 'failed') this.#errors.inc({ type, code: event.code ?? 'internal' })
    else {
      this.#items.inc(event.items)
      this.#tokens.inc(event.tokens)
    }
    this.#queue.observe({ type }, timings.queue / 1000)
    this.#inference.observe({ type }, timings.inference / 1000)
    this.#store.observe({ type }, timings.store / 1000)
    this.#total.observe({ type }, timings.total / 1000)
  }

  retried(code: ErrorCode): void {
    this.#retries.inc({ code })
  }

  deadLettered(code: ErrorCode): void {
    this.#deadLetters.inc({ code })
  }

  loaded(info: ModelInfo, stats: { loadMs: number; memoryBytes: number }): void {
    const model = info.identity
    // before its first batch, so that batch is counted by rate() too; once only, since zero()
    // resets a series that exists (a model evicted and loaded again)
    if (!this.#modelsSeen.has(model)) {
      this.#modelsSeen.add(model)
      for (const histogram of [this.#batchItems, this.#batchTokens, this.#batchSeconds])
        histogram.zero({ model })
    }
    this.#modelLoaded.set({ model }, 1)
    this.#modelLoadSeconds.set({ model }, stats.loadMs / 1000)
    this.#modelMemory.set({ model }, stats.memoryBytes)
    this.#modelLoads.inc({ model })
  }

  unloaded(identity: string): void {
    this.#modelLoaded.set({ model: identity }, 0)
    this.#modelMemory.set({ model: identity }, 0)
  }

  batch(event: { model: string; items: number; tokens: number; ms: number }): void {
    const labels = { model: event.model }
    this.#batchItems.observe(labels, event.items)
    this.#batchTokens.observe(labels, event.tokens)
    this.#batchSeconds.observe(labels, event.ms / 1000)
  }

  #probeGauges(): void {
    const probes = () => this.#probes
    const gauges: [string, string, (p: MetricsProbes) => number][] = [
      ['vectorize_tasks_active', 'Tasks in flight', (p) => p.activeTasks()],
      ['vectorize_tasks_max_concurrent', 'Concurrency cap', (p) => p.maxConcurrentTasks()],
      ['vectorize_inference_pending', 'Embed requests waiting', (p) => p.inference().pending],
      [
        'vectorize_inference_stalled_seconds',
        'Time since inference last progressed while work is pending (0 when idle)',
        (p) => p.inference().stalledMs / 1000,
      ],
    ]
    for (const [name, help, read] of gauges) {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const p = probes()
          if (p) this.set(read(p))
        },
      })
    }
    new Gauge({
      name: 'vectorize_source_lag_messages',
      help: 'Messages not yet committed per partition (where the source can tell)',
      labelNames: ['partition'],
      registers: [this.registry],
      collect() {
        const partitions = probes()?.lag?.()
        this.reset()
        for (const p of partitions ?? []) this.set({ partition: String(p.partition) }, p.messages)
      },
    })
  }

  #counter(name: string, help: string, labelNames: string[]): Counter {
    return new Counter({ name, help, labelNames, registers: [this.registry] })
  }

  #gauge(name: string, help: string, labelNames: string[]): Gauge {
    return new Gauge({ name, help, labelNames, registers: [this.registry] })
  }

  #histogram(name: string, buckets: number[], what: string): Histogram {
    const help = `${what} per inference batch`
    return new Histogram({ name, help, buckets, labelNames: ['model'], registers: [this.registry] })
  }

  #seconds(name: string, help: string): Histogram {
    return new Histogram({
      name,
      help: `${help} (seconds)`,
      buckets: SECONDS,
      labelNames: ['type'],
      registers: [this.registry],
    })
  }
}
