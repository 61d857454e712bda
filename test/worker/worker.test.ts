import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { TransformersModels } from '../../src/models/transformers.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { LocalReporter } from '../../src/reporters/local.ts'
import type { Reporter } from '../../src/reporters/reporter.ts'
import { LocalPublisher, LocalSource } from '../../src/sources/local.ts'
import type { SourceMessage, TaskSource } from '../../src/sources/source.ts'
import { GroupCommitStore } from '../../src/stores/group-commit.ts'
import { LanceDbStore } from '../../src/stores/lancedb.ts'
import type { VectorStore } from '../../src/stores/store.ts'
import { VectorizeError } from '../../src/worker/errors.ts'
import { assembleWorker } from '../../src/main.ts'
import { testConfig } from '../helpers/config.ts'
import { modelOptions, testModels } from '../helpers/models.ts'

const signal = new AbortController().signal
const retry = { max_attempts: 4, max_elapsed_ms: 60_000, initial_delay_ms: 5, max_delay_ms: 20 }
const limits = {
  max_message_bytes: 1 << 20,
  max_text_bytes: 4096,
  max_batch_items: 1000,
  max_metadata_bytes: 4096,
}

/** Makes the next `failures` upserts fail as a store outage would (retriable). */
function flaky(inner: VectorStore, failures: { left: number }): VectorStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'upsert') {
        return (...args: Parameters<VectorStore['upsert']>) => {
          if (failures.left-- > 0)
            return Promise.reject(
              new VectorizeError('store_unavailable', 'connection refused (injected)'),
            )
          return target.upsert(...args)
        }
      }
      // private fields need the real receiver, not the proxy
      const value = Reflect.get(target, prop, receiver) as unknown
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value
    },
  })
}

describe('Worker', () => {
  let dir: string
  let models: TransformersModels
  let lance: LanceDbStore

  before(async () => {
    await testModels()
    dir = await mkdtemp(join(tmpdir(), 'vectorize-worker-'))
    models = new TransformersModels(modelOptions(), { logger: silentLogger })
    lance = await LanceDbStore.create({ path: join(dir, 'lancedb') }, { logger: silentLogger })
  })
  after(async () => {
    await models.close()
    await lance.close()
    await rm(dir, { recursive: true, force: true })
  })

  async function run(
    queue: string,
    messages: unknown[],
    store: VectorStore,
    crashes: (m: SourceMessage) => number = () => 0,
    wrapReporter: (r: LocalReporter) => Reporter = (r) => r,
  ) {
    const publisher = await LocalPublisher.create({ dir: queue }, { logger: silentLogger })
    await publisher.publish(
      messages.map((m) => new TextEncoder().encode(typeof m === 'string' ? m : JSON.stringify(m))),
      { signal },
    )
    await publisher.close()
    const source = await LocalSource.create(
      { dir: queue, pollIntervalMs: 20 },
      { logger: silentLogger },
    )
    const reporter = await LocalReporter.create({ dir: queue }, { logger: silentLogger })
    const config = testConfig({
      worker: { id: 'w-test' },
      processing: {
        ...limits,
        max_concurrent_tasks: 8,
        default_collection: 'docs',
        retry,
        max_crashes: 3,
      },
    })
    // What the Kafka source's crash guard would say about each message.
    const guarded: TaskSource = {
      kind: source.kind,
      async *messages(opts) {
        for await (const m of source.messages(opts)) yield { ...m, crashes: crashes(m) }
      },
      commit: (positions, opts) => source.commit(positions, opts),
      close: () => source.close(),
    }
    const { worker, stats } = assembleWorker(config, {
      source: guarded,
      store,
      reporter: wrapReporter(reporter),
      models,
      logger: silentLogger,
    })
    const outcome = await worker.run({ untilIdle: true }).then(
      () => undefined,
      (err: unknown) => err,
    )
    await source.close()
    return { stats, reporter, outcome, worker }
  }

  it('should retry a store outage and succeed without dead-lettering', async () => {
    const failures = { left: 3 }
    const store = new GroupCommitStore(flaky(lance, failures), { maxRecords: 100 })
    const messages = Array.from({ length: 20 }, (_, i) => ({
      task_id: `r${i}`,
      type: 'text',
      text: `retry text number ${i}`,
      collection: 'retry',
    }))
    const { stats, reporter, outcome } = await run(join(dir, 'q-retry'), messages, store)
    assert.equal(outcome, undefined)
    assert.equal(stats.succeeded, 20)
    assert.ok(stats.retries >= 1, 'the outage was retried')
    assert.equal(stats.deadLetters, 0)
    assert.deepEqual((await reporter.counts({ signal })).succeeded, 20)
    assert.equal(await lance.count('retry', { signal }), 20)
    await reporter.close()
  })

  it('should dead-letter a message that workers died on max_crashes times, without running it', async () => {
    const messages = ['c0', 'c1', 'c2'].map((task_id) => ({
      task_id,
      type: 'text',
      text: `text of ${task_id}`,
      collection: 'crashes',
    }))
    const { stats, reporter } = await run(join(dir, 'q-crash'), messages, lance, (m) =>
      m.offset === 1 ? 3 : m.offset === 2 ? 2 : 0,
    )
    assert.equal(stats.succeeded, 2, 'two deaths are below max_crashes (3)')
    assert.equal(stats.deadLetters, 1)
    const letters = []
    for await (const letter of reporter.deadLetters({ signal })) letters.push(letter)
    assert.deepEqual(
      letters.map((l) => [l.taskId, l.error.code, l.attempts]),
      [['c1', 'crash_loop', 3]],
    )
    assert.match(letters[0]!.error.message, /3 worker processes died/)
    assert.equal((await reporter.task('c1', { signal }))?.state, 'failed')
    assert.equal(await lance.count('crashes', { signal }), 2, 'c1 was never embedded')
    await reporter.close()
  })

  it('should stop without committing when the store stays down, and finish after a restart', async () => {
    const queue = join(dir, 'q-down')
    const down = { left: Number.POSITIVE_INFINITY }
    const messages = Array.from({ length: 5 }, (_, i) => ({
      task_id: `d${i}`,
      type: 'text',
      text: `outage text ${i}`,
      collection: 'down',
    }))
    const first = await run(
      queue,
      messages,
      new GroupCommitStore(flaky(lance, down), { maxRecords: 100 }),
    )
    assert.ok(
      first.outcome instanceof VectorizeError && first.outcome.code === 'store_unavailable',
      'the worker fails with the infrastructure error',
    )
    assert.equal(first.worker.state, 'failed')
    assert.equal(first.stats.deadLetters, 0, 'infrastructure errors are never dead-lettered')
    assert.equal((await first.reporter.counts({ signal })).failed, 0)
    await first.reporter.close()
    const second = await run(queue, [], new GroupCommitStore(lance, { maxRecords: 100 }))
    assert.equal(second.outcome, undefined)
    assert.equal(second.stats.succeeded, 5, 'the uncommitted tasks came back')
    assert.equal(await lance.count('down', { signal }), 5)
    await second.reporter.close()
  })

  it('should fail only the task whose result record is too big, never reporting it succeeded first', async () => {
    const tooBig = (r: LocalReporter): Reporter => ({
      kind: r.kind,
      status: (m, o) => r.status(m, o),
      deadLetter: (l, o) => r.deadLetter(l, o),
      close: () => r.close(),
      // what KafkaReporter says when Kafka refuses a record for its size (issue 10)
      result: (m, o) =>
        m.task_id === 'big-result'
          ? Promise.reject(new VectorizeError('record_too_large', `result of ${m.task_id}`))
          : r.result(m, o),
    })
    const messages = ['ok-1', 'big-result', 'ok-2'].map((task_id) => ({
      task_id,
      type: 'text',
      text: `text of ${task_id}`,
      collection: 'results',
    }))
    const { stats, reporter, outcome } = await run(
      join(dir, 'q-result'),
      messages,
      lance,
      () => 0,
      tooBig,
    )
    assert.equal(outcome, undefined, 'the worker did not stop')
    assert.deepEqual([stats.succeeded, stats.failed], [2, 1])
    const log = await readFile(join(dir, 'q-result', 'status.log'), 'utf8')
    const states = log
      .split('\n')
      .filter((l) => l.includes('"big-result"'))
      .map((l) => (JSON.parse(l) as { status: { state: string } }).status.state)
    assert.deepEqual(states, ['started', 'failed'], 'never `succeeded` before `failed`')
    const letters = []
    for await (const letter of reporter.deadLetters({ signal })) letters.push(letter)
    assert.deepEqual(
      letters.map((l) => [l.taskId, l.error.code]),
      [['big-result', 'record_too_large']],
    )
    await reporter.close()
  })

  it('should go on when a dead letter is refused for its size even cut to fit', async () => {
    const refusing = (r: LocalReporter): Reporter => ({
      kind: r.kind,
      status: (m, o) => r.status(m, o),
      result: (m, o) => r.result(m, o),
      close: () => r.close(),
      deadLetter: () => Promise.reject(new VectorizeError('record_too_large', 'dead letter')),
    })
    const messages = [
      { task_id: 'fine-1', type: 'text', text: 'a fine text', collection: 'refused' },
      { task_id: 'empty', type: 'text', text: '', collection: 'refused' },
      { task_id: 'fine-2', type: 'text', text: 'another fine text', collection: 'refused' },
    ]
    const { stats, reporter, outcome } = await run(
      join(dir, 'q-refused'),
      messages,
      lance,
      () => 0,
      refusing,
    )
    assert.equal(outcome, undefined, 'the worker did not stop')
    assert.deepEqual([stats.succeeded, stats.failed], [2, 1])
    assert.equal((await reporter.task('empty', { signal }))?.state, 'failed')
    assert.equal((await reporter.task('fine-2', { signal }))?.state, 'succeeded')
    await reporter.close()
  })

  it('should report progress for a batch task and store one vector per item', async () => {
    const items = Array.from({ length: 300 }, (_, i) => ({
      id: `item-${i}`,
      text: `batch item ${i} about the ocean and planets`,
      metadata: { n: i },
    }))
    const { stats, reporter } = await run(
      join(dir, 'q-batch'),
      [{ task_id: 'b1', type: 'batch', collection: 'batch', metadata: { source: 'test' }, items }],
      new GroupCommitStore(lance, { maxRecords: 100 }),
    )
    assert.equal(stats.succeeded, 1)
    const log = await readFile(join(dir, 'q-batch', 'status.log'), 'utf8')
    const progress = log.split('\n').filter((l) => l.includes('"progress"') && l.includes('"b1"'))
    assert.deepEqual(
      progress.map((l) => (JSON.parse(l) as { status: { progress: unknown } }).status.progress),
      [{ done: 256, total: 300 }],
    )
    const record = await reporter.task('b1', { signal })
    assert.equal(record?.state, 'succeeded')
    assert.equal(record?.result?.counts.vectors, 300)
    assert.equal(record?.result?.ids.length, 300)
    assert.equal(await lance.count('batch', { signal }), 300)
    const hits = await lance.search(
      'batch',
      {
        vector: (
          await (
            await models.get(undefined, { signal })
          ).embed(['batch item 7 about the ocean and planets'], { signal })
        )[0]!.vector,
        k: 1,
      },
      { signal },
    )
    assert.equal(hits[0]?.documentId, 'item-7')
    assert.deepEqual(JSON.parse(JSON.stringify(hits[0]?.metadata)), { source: 'test', n: 7 })
    await reporter.close()
  })
})
