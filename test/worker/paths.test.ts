/**
 * The worker's fault paths on fakes (no ONNX, no LanceDB, no files), each with the fault placed
 * exactly: a task timeout at given points of a multi-slice task, a second signal mid-task, the
 * inference thread dying, one bad input, a store outage that ends, reports not yet acknowledged.
 * The real-parts versions are test/e2e/cli/cancel.test.ts and test/worker/worker.test.ts.
 */
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, it } from 'node:test'
import type { UpsertResult, VectorRecord } from '../../src/stores/store.ts'
import { VectorizeError } from '../../src/worker/errors.ts'
import type { Signal } from '../../src/worker/types.ts'
import { FakeModels } from '../fakes/fake-models.ts'
import { MemoryStore } from '../fakes/memory-store.ts'
import { batchTask, fakeWorker, submit, textTask, untilAborted } from '../helpers/fake-worker.ts'

type Step = 'embed' | 'write'
type Holds = Record<string, { step: Step; slice: number }[]>

/** The task id of a text or record made by `batchTask`/`textTask`. */
const taskOf = (text: string) => text.split(' ')[0]!

function counter() {
  const counts = new Map<string, number>()
  return (key: string) => {
    const n = counts.get(key) ?? 0
    counts.set(key, n + 1)
    return n
  }
}

/**
 * Fakes that hold a task at its Nth embedding or Nth write until the task's signal aborts;
 * `reached(task)` resolves once the task is held at one of them.
 */
function holding(holds: Holds) {
  const waiting = new Map<string, () => void>()
  const reachedAt = new Map<string, Promise<void>>()
  const reached = (task: string) => {
    if (!reachedAt.has(task))
      reachedAt.set(task, new Promise((resolve) => waiting.set(task, resolve)))
    return reachedAt.get(task)!
  }
  const hold = (task: string, step: Step, n: number, signal: AbortSignal) => {
    if (!(holds[task] ?? []).some((h) => h.step === step && h.slice === n)) return undefined
    void reached(task)
    waiting.get(task)?.()
    return untilAborted(signal)
  }
  const embeds = counter()
  const models = new FakeModels({
    beforeAnswer: async (texts, signal) => {
      const task = taskOf(texts[0] ?? '')
      await hold(task, 'embed', embeds(task), signal)
    },
  })
  const writes = counter()
  class HoldingStore extends MemoryStore {
    override async upsert(c: string, records: readonly VectorRecord[], opts: Signal) {
      const task = records[0]?.taskId ?? ''
      const result = super.upsert(c, records, opts)
      await hold(task, 'write', writes(task), opts.signal)
      return result
    }
  }
  return { models, store: new HoldingStore(), reached }
}

describe('Worker paths (fakes)', { timeout: 60_000 }, () => {
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => void unhandled.push(reason)
  before(() => process.on('unhandledRejection', onUnhandled))
  after(() => process.off('unhandledRejection', onUnhandled))
  afterEach(() => assert.deepEqual(unhandled.splice(0), [], 'no unhandled rejection'))

  it('should fail a batch with task_timeout wherever the timeout lands, and go on', async () => {
    const holds: Holds = {
      first: [{ step: 'embed', slice: 0 }],
      between: [{ step: 'embed', slice: 3 }],
      writing: [
        { step: 'write', slice: 4 },
        { step: 'embed', slice: 5 }, // the next slice's embedding is in flight meanwhile
      ],
      last: [{ step: 'write', slice: 7 }],
    }
    const { models, store } = holding(holds)
    const w = fakeWorker({ models, store, taskTimeoutMs: 2_000 })
    const held = Object.keys(holds)
    submit(
      w.log,
      held.flatMap((id) => [batchTask(id, 2000), textTask(`${id}-after`)]),
    )
    await w.worker.run({ untilIdle: true })

    for (const id of held) {
      const failed = w.reporter.statuses.find((s) => s.task_id === id && s.state === 'failed')
      assert.equal(failed?.error?.code, 'task_timeout', id)
      assert.equal(w.reporter.statesOf(`${id}-after`).at(-1), 'succeeded', `${id}-after`)
    }
    assert.deepEqual(
      w.reporter.deadLetters.map((l) => [l.taskId, l.error.code, l.error.class]).sort(),
      held.map((id) => [id, 'task_timeout', 'data']).sort(),
    )
    const progress = (id: string) =>
      Math.max(
        0,
        ...w.reporter.statuses.filter((s) => s.task_id === id).map((s) => s.progress?.done ?? 0),
      )
    assert.deepEqual(
      held.map((id) => progress(id)),
      [0, 768, 1024, 1792],
      'each timeout landed where it was held',
    )
    assert.equal(w.log.committed, held.length * 2, 'everything committed')
    assert.equal(w.stats.retries, 0, 'a task timeout is not retried')
  })

  it('should not count the wait for shared inference against a task timeout', async () => {
    // Three tasks queue behind busy inference; "slow" works past its timeout in its own
    // inference. The queue opens only once "slow" has failed, long after the queued tasks'
    // timeouts would have fired had their wait counted: they started first (issue 11).
    const slowFailed = () => w.reporter.until((r) => r.statesOf('slow').includes('failed'))
    const models = new FakeModels({
      queued: async (texts) => {
        if (texts[0]!.includes('queued')) await slowFailed()
      },
      beforeAnswer: async (texts, signal) => {
        if (texts[0]!.includes('slow')) await untilAborted(signal)
      },
    })
    // 1 s: once "slow" failed, q1–q3 still need their own inference, write and reports in time on
    // a loaded machine (an event-loop stall of 100 ms timed them out in CI runs)
    const w = fakeWorker({ models, taskTimeoutMs: 1_000 })
    const queued = ['q1', 'q2', 'q3']
    submit(w.log, [...queued.map((id) => textTask(id, `queued ${id}`)), textTask('slow', 'slow')])
    await w.worker.run({ untilIdle: true })

    for (const id of queued) assert.equal(w.reporter.statesOf(id).at(-1), 'succeeded', id)
    assert.deepEqual(
      w.reporter.deadLetters.map((l) => [l.taskId, l.error.code]),
      [['slow', 'task_timeout']],
      'its own inference still counts',
    )
  })

  it('should leave a task cut by a second signal uncommitted and unreported, for the next worker', async () => {
    const { models, store, reached } = holding({
      cut: [
        { step: 'write', slice: 3 },
        { step: 'embed', slice: 4 },
      ],
    })
    const first = fakeWorker({ models, store })
    submit(first.log, [batchTask('cut', 2000), textTask('cut-after-1'), textTask('cut-after-2')])
    const running = first.worker.run({ untilIdle: false })
    await reached('cut')
    await first.reporter.until((r) => r.statesOf('cut-after-2').includes('succeeded'))
    first.worker.stop(60_000) // SIGTERM: drain…
    first.worker.abort() // …and a second one
    await running

    assert.equal(first.worker.abandonedTasks, 1)
    assert.equal(first.log.committed, 0, 'nothing committed past the unfinished task')
    assert.ok(!first.reporter.statesOf('cut').includes('failed'), 'not reported as failed')
    assert.deepEqual(first.reporter.deadLetters, [], 'not dead-lettered')

    const second = fakeWorker({ log: first.log, store })
    await second.worker.run({ untilIdle: true })
    for (const id of ['cut', 'cut-after-1', 'cut-after-2'])
      assert.equal(second.reporter.statesOf(id).at(-1), 'succeeded', id)
    assert.equal(second.log.committed, 3)
    assert.equal(await store.count('docs', { signal: AbortSignal.timeout(5_000) }), 2002)
  })

  it('should retry the tasks in flight when the inference thread dies, and reload the model', async () => {
    let crashed = false
    const models: FakeModels = new FakeModels({
      beforeAnswer: (texts) => {
        if (!crashed && taskOf(texts[0] ?? '') === 'victim') {
          crashed = true
          models.crash()
        }
        return Promise.resolve()
      },
    })
    const w = fakeWorker({ models })
    submit(w.log, [batchTask('victim', 600), ...['a', 'b', 'c'].map((id) => textTask(id))])
    await w.worker.run({ untilIdle: true })

    assert.ok(crashed)
    for (const id of ['victim', 'a', 'b', 'c'])
      assert.equal(w.reporter.statesOf(id).at(-1), 'succeeded', id)
    assert.ok(w.stats.retries >= 1, 'inference_failed was retried')
    assert.equal(models.loads, 2, 'the model loaded again after the crash')
    assert.deepEqual(w.reporter.deadLetters, [])
    assert.equal(w.log.committed, 4)
  })

  it('should fail only the task with an input the model rejects; its batch neighbours succeed', async () => {
    const models = new FakeModels({ rejectInput: (text) => text.includes('poison') })
    const w = fakeWorker({ models })
    const bad = batchTask('bad', 3)
    bad.items[1]!.text = 'bad poison item'
    submit(w.log, [textTask('before'), bad, textTask('after')])
    await w.worker.run({ untilIdle: true })

    assert.equal(w.reporter.statesOf('before').at(-1), 'succeeded')
    assert.equal(w.reporter.statesOf('after').at(-1), 'succeeded')
    const failed = w.reporter.statuses.find((s) => s.task_id === 'bad' && s.state === 'failed')
    assert.equal(failed?.error?.code, 'inference_rejected')
    assert.equal(failed?.error?.retriable, false)
    assert.equal(w.stats.retries, 0, 'a bad input is not retried')
    assert.deepEqual(
      w.reporter.deadLetters.map((l) => l.taskId),
      ['bad'],
    )
  })

  it('should retry a store outage until it ends, then succeed without dead letters', async () => {
    class FlakyStore extends MemoryStore {
      failures = 3
      override upsert(
        c: string,
        records: readonly VectorRecord[],
        opts: Signal,
      ): Promise<UpsertResult> {
        if (this.failures-- > 0)
          return Promise.reject(
            new VectorizeError('store_unavailable', 'connection refused (injected)'),
          )
        return super.upsert(c, records, opts)
      }
    }
    const store = new FlakyStore()
    const w = fakeWorker({ store, maxConcurrentTasks: 1 })
    submit(
      w.log,
      ['s1', 's2', 's3'].map((id) => textTask(id)),
    )
    await w.worker.run({ untilIdle: true })

    for (const id of ['s1', 's2', 's3']) assert.equal(w.reporter.statesOf(id).at(-1), 'succeeded')
    assert.equal(w.stats.retries, 3)
    assert.deepEqual(w.reporter.deadLetters, [])
    assert.equal(await store.count('docs', { signal: AbortSignal.timeout(5_000) }), 3)
    assert.equal(w.log.committed, 3)
  })

  it('should commit a task only once its reports are acknowledged', async () => {
    const w = fakeWorker()
    w.source.commitEagerly = true // a finished task would be committed at once
    const release = w.reporter.hold()
    submit(w.log, [textTask('acked')])
    const running = w.worker.run({ untilIdle: true })
    // the result goes first and must be acknowledged before `succeeded` is sent (issue 10)
    await w.reporter.until((r) => r.sent.includes('result:acked'))
    await new Promise((resolve) => setImmediate(resolve)) // a commit not waiting for acks would be done by now
    assert.equal(await w.store.count('docs', { signal: AbortSignal.timeout(5_000) }), 1, 'stored')
    assert.deepEqual(w.reporter.statuses, [], 'no report acknowledged yet')
    assert.deepEqual(w.log.commits, [], 'so nothing committed')

    release()
    await w.log.committedTo(1)
    await running
    assert.deepEqual(w.reporter.statesOf('acked'), ['started', 'succeeded'])
  })
})
