/**
 * PrometheusMetrics on a real Worker over the fakes (issue 10, defect 4): every labelled series a
 * worker can emit exists at 0 before any task (a series that appears on first use loses its first
 * events to `increase()`/`rate()`), and a failure found while validating a task is labelled with
 * the type it named. The same run through a served worker, checked by `promtool check metrics`
 * and the Prometheus parser: test/e2e/observability/.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PrometheusMetrics } from '../../src/observability/metrics.ts'
import { fakeWorker, submit } from '../helpers/fake-worker.ts'

/** One line of the exposition: `name{labels} value`, labels in the order prom-client writes them. */
function sample(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

const newMetrics = () => new PrometheusMetrics({ workerId: 'w-fake', version: 'test' })

describe('PrometheusMetrics on a worker', () => {
  it('should expose every labelled series at 0 before any task', async () => {
    const idle = await newMetrics().registry.metrics()
    for (const series of [
      'vectorize_tasks_total{type="image",outcome="failed"}',
      'vectorize_task_errors_total{type="document",code="invalid_document"}',
      'vectorize_task_errors_total{type="unknown",code="invalid_json"}',
      'vectorize_dead_letters_total{code="input_too_large"}',
      'vectorize_task_retries_total{code="store_unavailable"}',
      'vectorize_task_duration_seconds_count{type="batch"}',
      'vectorize_task_queue_seconds_bucket{le="+Inf",type="text"}',
    ]) {
      assert.equal(sample(idle, series), 0, series)
    }
  })

  it('should label a failure found while validating a task with the type it named', async () => {
    const metrics = newMetrics()
    const w = fakeWorker({ metrics, processing: { max_text_bytes: 64 } })
    submit(w.log, [
      { task_id: 'ok-1', type: 'text', text: 'a text about tides' },
      { task_id: 'ok-2', type: 'batch', items: [{ id: 'i1', text: 'an item' }] },
      { task_id: 'long', type: 'text', text: 'word '.repeat(100) },
      { task_id: 'empty', type: 'batch', items: [{ id: 'i2', text: '' }] },
      { task_id: 'model', type: 'text', text: 'x', model: 'no-such/model' },
    ])
    w.log.append([new TextEncoder().encode('this is not JSON')])
    await w.worker.run({ untilIdle: true })
    const after = await metrics.registry.metrics()
    const errors = (type: string, code: string) =>
      sample(after, `vectorize_task_errors_total{type="${type}",code="${code}"}`)
    assert.equal(errors('text', 'input_too_large'), 1)
    assert.equal(errors('batch', 'empty_text'), 1)
    assert.equal(errors('text', 'unknown_model'), 1)
    assert.equal(errors('unknown', 'invalid_json'), 1, 'no type to read in it')
    assert.equal(sample(after, 'vectorize_tasks_total{type="unknown",outcome="failed"}'), 1)
    assert.equal(sample(after, 'vectorize_tasks_total{type="text",outcome="succeeded"}'), 1)
    assert.equal(sample(after, 'vectorize_tasks_total{type="batch",outcome="succeeded"}'), 1)
    assert.equal(sample(after, 'vectorize_dead_letters_total{code="empty_text"}'), 1)
  })
})
