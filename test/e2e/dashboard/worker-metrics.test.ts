/**
 * The dashboard reads the workers' /metrics with its own small parser: it must read what a real
 * worker serves (PrometheusMetrics, prom-client) exactly as the Prometheus project's reference
 * parser does, and sum what the charts need.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseMetrics } from '../../../src/dashboard/prometheus-text.ts'
import { quantile, scrapedMetrics } from '../../../src/dashboard/worker-metrics.ts'
import type { ModelInfo } from '../../../src/models/embedder.ts'
import { PrometheusMetrics } from '../../../src/observability/metrics.ts'
import { parseExposition, parserMissing } from '../../helpers/prometheus.ts'

const missing = parserMissing()
if (missing && process.env.CI) throw new Error(missing)

const timings = (ms: number) => ({ queue: ms, inference: ms * 2, store: ms / 2, total: ms * 4 })

function busyWorker(): PrometheusMetrics {
  const metrics = new PrometheusMetrics({ workerId: 'w-"quoted"\\one', version: '1.2.3' })
  for (let i = 0; i < 30; i++) {
    metrics.taskFinished({
      type: 'text',
      outcome: 'succeeded',
      timings: timings(i * 10),
      items: 1,
      tokens: 7,
    })
  }
  for (let i = 0; i < 5; i++) {
    metrics.taskFinished({
      type: 'batch',
      outcome: 'succeeded',
      timings: timings(20),
      items: 4,
      tokens: 30,
    })
  }
  metrics.taskFinished({
    type: 'text',
    outcome: 'failed',
    code: 'unknown_model',
    timings: timings(1),
    items: 0,
    tokens: 0,
  })
  metrics.taskFinished({
    type: 'unknown',
    outcome: 'failed',
    code: 'invalid_json',
    timings: timings(1),
    items: 0,
    tokens: 0,
  })
  metrics.deadLettered('unknown_model')
  metrics.deadLettered('invalid_json')
  metrics.retried('store_unavailable')
  const model = { identity: 'odd "model"\nname@fp32', device: 'cpu' } as unknown as ModelInfo
  metrics.loaded(model, { loadMs: 120, memoryBytes: 1_000_000 })
  metrics.observe({
    activeTasks: () => 3,
    maxConcurrentTasks: () => 8,
    inference: () => ({ pending: 0, stalledMs: 0 }),
    lag: () => [
      { partition: 0, messages: 42 },
      { partition: 2, messages: 1 },
    ],
  })
  return metrics
}

describe('dashboard reading of /metrics', () => {
  it(
    "should read a worker's exposition sample for sample as the reference parser does",
    { skip: missing ?? false },
    async () => {
      const text = await busyWorker().render()
      const key = (s: { name: string; labels: Readonly<Record<string, string>>; value: number }) =>
        `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}=${s.value}`
      const ours = parseMetrics(text).map(key).sort()
      // the reference names counters without _total in family names but keeps it on samples; _created
      // samples are its own addition
      const reference = parseExposition(text)
        .filter((s) => !s.name.endsWith('_created'))
        .map(key)
        .sort()
      assert.deepEqual(ours, reference)
    },
  )

  it('should sum what the charts need: outcomes, items, tokens, failures by code, latency buckets, gauges', async () => {
    const m = scrapedMetrics(parseMetrics(await busyWorker().render()))
    assert.equal(m.workerId, 'w-"quoted"\\one')
    assert.deepEqual(
      {
        succeeded: m.succeeded,
        failed: m.failed,
        items: m.items,
        tokens: m.tokens,
        dead: m.deadLetters,
        retries: m.retries,
      },
      { succeeded: 35, failed: 2, items: 50, tokens: 360, dead: 2, retries: 1 },
    )
    const failing = Object.entries(m.errorsByCode).filter(([, n]) => n > 0)
    assert.deepEqual(Object.fromEntries(failing), { unknown_model: 1, invalid_json: 1 })
    assert.equal(m.latency.queue.get(Infinity), 37, 'every finished task is in the queue histogram')
    assert.equal(m.active, 3)
    assert.equal(m.maxConcurrent, 8)
    assert.deepEqual(m.lag, [
      { partition: 0, messages: 42 },
      { partition: 2, messages: 1 },
    ])
    assert.deepEqual(
      m.models.map((x) => x.model),
      ['odd "model"\nname@fp32'],
    )
  })

  it('should estimate quantiles inside the right bucket, interpolating as histogram_quantile does', () => {
    // 10 observations ≤ 0.1, 10 more ≤ 0.5, 0 beyond: p50 is the top of the first bucket,
    // p75 halfway through the second, p100 its upper bound
    const buckets = new Map([
      [0.1, 10],
      [0.5, 20],
      [1, 20],
      [Infinity, 20],
    ])
    assert.equal(quantile(0.5, buckets), 0.1)
    assert.equal(quantile(0.75, buckets), 0.30000000000000004)
    assert.equal(quantile(1, buckets), 0.5)
    assert.equal(quantile(0.5, new Map([[Infinity, 0]])), undefined, 'no observations: no quantile')
    assert.equal(
      quantile(
        0.99,
        new Map([
          [1, 0],
          [Infinity, 4],
        ]),
      ),
      1,
      'past the last bound: that bound',
    )
  })
})
