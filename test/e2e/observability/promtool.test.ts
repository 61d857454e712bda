/**
 * Issue 10, defect 4: the worker's `/metrics` as Prometheus' own tooling sees it. Every labelled
 * series exists from the start (a series that appears on first use loses its first events to
 * `increase()`/`rate()`), failures found while validating a task are labelled with its type where
 * it named one, and `promtool check metrics` accepts the exposition before any task and after a
 * run with failures.
 */
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { suiteCleanup } from '../../helpers/cli.ts'
import { promtoolCheck, promtoolMissing } from '../../helpers/promtool.ts'
import { runServedWorker } from '../../helpers/served-worker.ts'
import { skipUnless } from '../../helpers/skip.ts'

const promtoolTest = { skip: skipUnless(promtoolMissing()) }

/** One line of the exposition: `name{labels} value`, labels in the order prom-client writes them. */
function sample(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

async function metricsText(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`)
  assert.equal(res.status, 200)
  return res.text()
}

/** Two good tasks and four that fail: three while validating, one while running. */
function messages(): unknown[] {
  return [
    { version: 1, task_id: 'ok-1', type: 'text', text: 'a text about tides' },
    { version: 1, task_id: 'ok-2', type: 'batch', items: [{ id: 'i1', text: 'an item' }] },
    { version: 1, task_id: 'long', type: 'text', text: 'word '.repeat(100) },
    { version: 1, task_id: 'empty', type: 'batch', items: [{ id: 'i2', text: '' }] },
    { version: 1, task_id: 'model', type: 'text', text: 'x', model: 'no-such/model' },
    'this is not JSON',
  ]
}

describe('worker /metrics for Prometheus', () => {
  const cleanup = suiteCleanup()
  let idle: string
  let afterRun: string

  before(async () => {
    const quiet = await runServedWorker(cleanup, [])
    await quiet.finished
    idle = await metricsText(quiet.url)
    const busy = await runServedWorker(cleanup, messages(), {
      processing: { max_text_bytes: 64 },
    })
    await busy.finished
    afterRun = await metricsText(busy.url)
  })

  it('should expose every labelled series at 0 before any task', () => {
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
    const model = 'model="vectorize-test/minilm-tiny@fp32"'
    assert.equal(sample(idle, `vectorize_inference_batch_items_count{${model}}`), 0)
  })

  it('should label a failure found while validating a task with the type it named', () => {
    const errors = (type: string, code: string) =>
      sample(afterRun, `vectorize_task_errors_total{type="${type}",code="${code}"}`)
    assert.equal(errors('text', 'input_too_large'), 1)
    assert.equal(errors('batch', 'empty_text'), 1)
    assert.equal(errors('text', 'unknown_model'), 1)
    assert.equal(errors('unknown', 'invalid_json'), 1, 'no type to read in it')
    assert.equal(sample(afterRun, 'vectorize_tasks_total{type="unknown",outcome="failed"}'), 1)
    assert.equal(sample(afterRun, 'vectorize_dead_letters_total{code="empty_text"}'), 1)
  })

  it('promtool check metrics should accept /metrics before any task', promtoolTest, () => {
    const { code, output } = promtoolCheck(idle)
    assert.equal(code, 0, output)
  })

  it(
    'promtool check metrics should accept /metrics after a run with failures',
    promtoolTest,
    () => {
      const { code, output } = promtoolCheck(afterRun)
      assert.equal(code, 0, output)
    },
  )
})
