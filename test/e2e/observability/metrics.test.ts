import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { suiteCleanup } from '../../helpers/cli.ts'
import { parserMissing, scrape, type Scrape } from '../../helpers/prometheus.ts'
import { runServedWorker, type ServedWorker } from '../../helpers/served-worker.ts'
import { skipUnless } from '../../helpers/skip.ts'
import { waitUntil } from '../../helpers/wait.ts'

const SECRET = 'zebra-payload-7f3a'
const TEXTS = 40
const BATCHES = 5
const BATCH_ITEMS = 6

/** 40 text tasks, 5 batch tasks of 6 items, one for a model that does not exist, one line that is not JSON. */
function messages(): unknown[] {
  const texts = Array.from({ length: TEXTS }, (_, i) => ({
    version: 1,
    task_id: `t-${i}`,
    type: 'text',
    text: `${SECRET} text number ${i} about tides and harbours`,
    metadata: { note: SECRET },
  }))
  const batches = Array.from({ length: BATCHES }, (_, b) => ({
    version: 1,
    task_id: `b-${b}`,
    type: 'batch',
    items: Array.from({ length: BATCH_ITEMS }, (_, i) => ({
      id: `b${b}-${i}`,
      text: `${SECRET} item ${i}`,
    })),
  }))
  const unknown = { version: 1, task_id: 'm-1', type: 'text', text: SECRET, model: 'no-such/model' }
  return [...texts, ...batches, unknown, `{"task_id": "broken", "text": "${SECRET}"`]
}

/** CI must run the metric checks; elsewhere they skip (saying why) when the parser is missing. */
const missing = skipUnless(parserMissing())
const metricTest = { skip: missing }

describe('worker /metrics', () => {
  const cleanup = suiteCleanup()
  let served: ServedWorker
  const during: Scrape[] = []
  let after: Scrape
  let tokens = 0

  before(async () => {
    served = await runServedWorker(cleanup, messages(), {
      processing: { max_concurrent_tasks: 4 },
    })
    let running = missing === false
    const finished = served.finished.finally(() => (running = false))
    while (running) {
      during.push(await scrape(served.url))
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    tokens = (await finished).tokens
    if (missing) return
    // The lag is the source probe's, refreshed in the background (http.probe_interval_ms).
    const lagged = (s: Scrape) =>
      s.samples.find((x) => x.name === 'vectorize_source_lag_messages')?.value
    await waitUntil(
      () => 'the lag in /metrics to show the last commit',
      async () => lagged((after = await scrape(served.url))) === 0,
      { timeoutMs: 30_000 },
    )
  })

  it('should serve the Prometheus text format while the worker runs', metricTest, (t) => {
    assert.ok(during.length > 0, 'no scrape happened during the run')
    assert.match(after.contentType, /^text\/plain; version=0\.0\.4/)
    let previous = 0
    const seen: number[] = []
    for (const s of during) {
      const succeeded = s.value('vectorize_tasks_total', { type: 'text', outcome: 'succeeded' })
      assert.ok(
        succeeded >= previous && succeeded <= TEXTS,
        `text tasks succeeded went ${previous} → ${succeeded}`,
      )
      previous = succeeded
      seen.push(succeeded)
      assert.ok(s.value('vectorize_source_lag_messages', { partition: '0' }) <= messages().length)
      assert.ok(
        s.value('vectorize_tasks_active') <= 4,
        'more tasks in flight than max_concurrent_tasks',
      )
    }
    t.diagnostic(
      `${during.length} scrapes during the run saw text tasks succeeded: ${seen.join(' ')}`,
    )
  })

  it('should count tasks by type and outcome as the run implies', metricTest, () => {
    assert.equal(
      after.value('vectorize_tasks_total', { type: 'text', outcome: 'succeeded' }),
      TEXTS,
    )
    assert.equal(
      after.value('vectorize_tasks_total', { type: 'batch', outcome: 'succeeded' }),
      BATCHES,
    )
    assert.equal(after.value('vectorize_tasks_total', { type: 'text', outcome: 'failed' }), 1)
    assert.equal(after.value('vectorize_tasks_total', { type: 'unknown', outcome: 'failed' }), 1)
    assert.equal(
      after.value('vectorize_task_errors_total', { type: 'unknown', code: 'invalid_json' }),
      1,
    )
    const dead = after.samples.filter((s) => s.name === 'vectorize_dead_letters_total')
    assert.equal(
      dead.reduce((sum, s) => sum + s.value, 0),
      2,
    )
    assert.equal(after.value('vectorize_dead_letters_total', { code: 'invalid_json' }), 1)
    assert.equal(after.value('vectorize_tasks_active'), 0)
    assert.equal(after.value('vectorize_tasks_max_concurrent'), 4)
    assert.equal(
      after.value('vectorize_source_lag_messages', { partition: '0' }),
      0,
      'all committed',
    )
  })

  it('should observe every finished task once in each timing histogram', metricTest, () => {
    for (const stage of ['queue', 'inference', 'store', 'duration']) {
      const name = `vectorize_task_${stage}_seconds`
      assert.equal(after.value(`${name}_count`, { type: 'text' }), TEXTS + 1, name)
      assert.equal(after.value(`${name}_count`, { type: 'batch' }), BATCHES, name)
      assert.equal(after.value(`${name}_bucket`, { type: 'batch', le: '+Inf' }), BATCHES, name)
    }
    assert.ok(after.value('vectorize_task_inference_seconds_sum', { type: 'text' }) > 0)
  })

  it(
    'should count items and tokens embedded, and every item once in the inference batches',
    metricTest,
    () => {
      const items = TEXTS + BATCHES * BATCH_ITEMS
      assert.equal(after.value('vectorize_items_embedded_total'), items)
      assert.ok(tokens > items, `tokens ${tokens}`)
      assert.equal(after.value('vectorize_tokens_embedded_total'), tokens)
      const model = { model: 'vectorize-test/minilm-tiny@fp32' }
      assert.equal(after.value('vectorize_inference_batch_items_sum', model), items)
      const batches = after.value('vectorize_inference_batch_items_count', model)
      assert.ok(batches >= 1 && batches <= items, `${batches} batches`)
      assert.ok(after.value('vectorize_inference_batch_tokens_sum', model) >= tokens)
    },
  )

  it(
    'should show the default model loaded, its load time and memory, and the process memory',
    metricTest,
    () => {
      const model = { model: 'vectorize-test/minilm-tiny@fp32' }
      assert.equal(after.value('vectorize_model_loaded', model), 1)
      assert.equal(after.value('vectorize_model_loads_total', model), 1)
      assert.ok(after.value('vectorize_model_load_seconds', model) > 0)
      assert.ok(after.value('process_resident_memory_bytes') > 0)
      assert.equal(after.value('vectorize_inference_pending'), 0)
    },
  )

  it('should log each task with its ids and never its payload', () => {
    const lines = served.logs.map((l) => JSON.parse(l) as Record<string, unknown>)
    const taskLines = lines.filter((l) => l.task_id === 't-3')
    assert.ok(taskLines.length > 0, 'no log line carries task_id t-3')
    assert.ok(taskLines.every((l) => l.type === 'text' && typeof l.offset === 'number'))
    assert.ok(
      lines.some((l) => l.level === 10 || l.level === 20),
      'debug/trace lines were captured',
    )
    const leaking = served.logs.filter((l) => l.includes(SECRET))
    assert.deepEqual(leaking, [], 'payload text appeared in the logs')
  })
})
