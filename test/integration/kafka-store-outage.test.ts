/**
 * Acceptance 5 of issue 3, store outage: two Workers in one consumer group (in this process, over
 * KafkaSource, KafkaReporter and the real LanceDB store) work through 2,000 tasks when every
 * upsert starts failing, as an unreachable store would (retriable `store_unavailable`), for 30 s.
 * With the retry policy of the default configuration the tasks wait it out and then succeed:
 * nothing is dead-lettered, no task is reported `failed`, and every task has its one vector.
 */
import * as assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { allTopics } from '../../src/kafka/admin.ts'
import { TransformersModels } from '../../src/models/transformers.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { KafkaPublisher } from '../../src/sources/kafka.ts'
import { GroupCommitStore } from '../../src/stores/group-commit.ts'
import { LanceDbStore } from '../../src/stores/lancedb.ts'
import type { VectorStore } from '../../src/stores/store.ts'
import { VectorizeError } from '../../src/worker/errors.ts'
import { createTopics, GroupProbe, kafkaSettings, readToEnd, skipKafka } from '../helpers/kafka.ts'
import { StatusBoard, textTasks } from '../helpers/kafka-cli.ts'
import { startKafkaWorker, type InProcessWorker } from '../helpers/kafka-workers.ts'
import { modelOptions, testModels } from '../helpers/models.ts'
import { waitUntil } from '../helpers/wait.ts'
import { skipUnless } from '../helpers/skip.ts'

const TASKS = 2_000
/** Succeeded tasks before the store goes down: both workers busy, most of the work ahead. */
const OUTAGE_AT = 400
const OUTAGE_MS = 30_000
const COLLECTION = 'outage'
const deps = { logger: silentLogger }

/** Fails every upsert while an outage is on, as an unreachable store would; time-based. */
class Outage {
  #until = 0
  failed = 0

  start(ms: number): void {
    this.#until = performance.now() + ms
  }

  wrap(inner: VectorStore): VectorStore {
    return new Proxy(inner, {
      get: (target, prop, receiver) => {
        if (prop === 'upsert') {
          return (...args: Parameters<VectorStore['upsert']>) => {
            if (performance.now() >= this.#until) return target.upsert(...args)
            this.failed++
            return Promise.reject(
              new VectorizeError('store_unavailable', 'connection refused (injected outage)'),
            )
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
}

describe('Kafka workers (store outage)', { skip: skipUnless(skipKafka), timeout: 240_000 }, () => {
  it('should retry through a 30 s store outage and then succeed, dead-lettering nothing', async (t) => {
    // First registered, first run: a test that fails mid-way leaves no worker running.
    const running: InProcessWorker[] = []
    t.after(async () => {
      for (const w of running) w.abort()
      await Promise.allSettled(running.map((w) => w.done))
    })
    await testModels()
    const dir = await mkdtemp(join(tmpdir(), 'vectorize-kafka-outage-'))
    const models = new TransformersModels(modelOptions(), deps)
    const lance = await LanceDbStore.create({ path: join(dir, 'lancedb') }, deps)
    t.after(async () => {
      await models.close()
      await lance.close()
      await rm(dir, { recursive: true, force: true })
    })
    const outage = new Outage()
    const store = new GroupCommitStore(outage.wrap(lance), { maxRecords: 2048 })
    const settings = kafkaSettings()
    await createTopics(t, allTopics(settings), 4)
    const publisher = await KafkaPublisher.create({ kafka: settings }, deps)
    const messages = textTasks(TASKS, 'outage', COLLECTION).map((line) => Buffer.from(line))
    await publisher.publish(messages, { signal: AbortSignal.timeout(30_000) })
    await publisher.close()

    const workers = await Promise.all(
      ['w-1', 'w-2'].map((id) => startKafkaWorker(id, { settings, store, models })),
    )
    running.push(...workers)
    const succeeded = () => workers.reduce((n, w) => n + w.stats.succeeded, 0)
    let finished = false
    let failure: Error | undefined
    const all = Promise.all(workers.map((w) => w.done)).then(
      () => (finished = true),
      (err: unknown) => ((failure = err as Error), (finished = true)),
    )
    const check = () => {
      if (failure) throw failure
      assert.ok(!finished || succeeded() >= TASKS, 'the workers stopped before the end')
    }
    await waitUntil(
      () =>
        `both workers to own partitions and ${OUTAGE_AT} tasks to succeed (${succeeded()} did; ` +
        `partitions ${workers.map((w) => w.source.partitions.length).join('/')})`,
      () => succeeded() >= OUTAGE_AT && workers.every((w) => w.source.partitions.length > 0),
      { timeoutMs: 60_000, check },
    )

    outage.start(OUTAGE_MS)
    const startedAt = performance.now()
    const atStart = succeeded()
    const group = await GroupProbe.open(t, settings.group_id, settings.topics.tasks)
    let lagPeak = 0
    let atEnd: number | undefined
    while (!finished) {
      if (atEnd === undefined && performance.now() - startedAt >= OUTAGE_MS) atEnd = succeeded()
      lagPeak = Math.max(lagPeak, await group.lag().catch(() => 0))
      assert.ok(
        performance.now() - startedAt < 150_000,
        `not done 150 s after the outage began (${succeeded()}/${TASKS})`,
      )
      await sleep(500)
    }
    await all
    if (failure) throw failure
    const doneAfterMs = performance.now() - startedAt

    const final = StatusBoard.of(await readToEnd(settings.topics.status))
    const ids = Array.from({ length: TASKS }, (_, i) => `outage-${i}`)
    const lost = ids.filter((id) => (final.tasks.get(id)?.succeededAt.length ?? 0) === 0)
    assert.deepEqual(lost.slice(0, 5), [], `${lost.length} tasks without a succeeded status`)
    assert.equal(final.failed, 0, 'no failed status')
    assert.deepEqual(await readToEnd(settings.topics.dlq), [], 'nothing dead-lettered')
    assert.equal(await lance.count(COLLECTION, { signal: AbortSignal.timeout(10_000) }), TASKS)
    const retries = workers.reduce((n, w) => n + w.stats.retries, 0)
    assert.ok(outage.failed > 0 && retries > 0, 'the outage hit upserts and they were retried')
    assert.ok(atStart < TASKS, `the outage came mid-run (${atStart} done)`)
    t.diagnostic(
      `outage of ${OUTAGE_MS} ms at ${atStart} succeeded (${atEnd ?? '?'} when it ended); ` +
        `${outage.failed} upserts failed, RunStats.retries ${workers.map((w) => `${w.id} ${w.stats.retries}`).join(', ')}; ` +
        `lag peak ${lagPeak}; all done ${Math.round(doneAfterMs)} ms after the outage began; ` +
        `succeeded per worker ${workers.map((w) => `${w.id} ${w.stats.succeeded}`).join(', ')}`,
    )
  })
})
