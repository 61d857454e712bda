/**
 * Two real Workers in one consumer group, on KafkaSource + KafkaReporter + LanceDB: the second
 * joins mid-stream, the group rebalances (cooperative-sticky), and still every task succeeds once,
 * every vector is stored once, and the group's commits reach the end of every partition. It checks
 * the Kafka adapters against the worker's use of them (events.revoked, commits after the write).
 */
import * as assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { waitUntil } from '../helpers/wait.ts'
import { TransformersModels } from '../../src/models/transformers.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import type { StatusMessage } from '../../src/protocol/report.ts'
import { KafkaPublisher } from '../../src/sources/kafka.ts'
import { LanceDbStore } from '../../src/stores/lancedb.ts'
import type { VectorStore } from '../../src/stores/store.ts'
import { createTopics, kafkaSettings, readTopic, skipKafka } from '../helpers/kafka.ts'
import { startKafkaWorker, type InProcessWorker } from '../helpers/kafka-workers.ts'
import { modelOptions, testModels } from '../helpers/models.ts'
import { skipUnless } from '../helpers/skip.ts'

const deps = { logger: silentLogger }
const retry = { max_attempts: 4, max_elapsed_ms: 60_000, initial_delay_ms: 5, max_delay_ms: 50 }
const limits = {
  max_message_bytes: 1 << 20,
  max_text_bytes: 4096,
  max_batch_items: 1000,
  max_metadata_bytes: 4096,
}
const total = 600

const processing = { ...limits, max_concurrent_tasks: 8, default_collection: 'docs', retry }

/**
 * The store, with writes one at a time and 20 ms apart (50 tasks/s) until `shared()`: the first
 * worker cannot finish the stream before the second has joined, however slowly the group settles.
 */
function slowUntil(store: VectorStore, shared: () => boolean): VectorStore {
  let turn = Promise.resolve()
  const upsert: VectorStore['upsert'] = (collection, records, opts) => {
    if (shared()) return store.upsert(collection, records, opts)
    turn = turn.then(() => new Promise((resolve) => setTimeout(resolve, 20)))
    return turn.then(() => store.upsert(collection, records, opts))
  }
  return new Proxy(store, {
    get: (target, key) => {
      if (key === 'upsert') return upsert
      const value: unknown = Reflect.get(target, key, target)
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value
    },
  })
}

describe('Kafka workers', { skip: skipUnless(skipKafka), timeout: 180_000 }, () => {
  it('two workers in one group should share the partitions and process every task exactly once', async (t) => {
    await testModels()
    const dir = await mkdtemp(join(tmpdir(), 'vectorize-kafka-worker-'))
    const models = new TransformersModels(modelOptions(), deps)
    const store = await LanceDbStore.create({ path: join(dir, 'lancedb') }, deps)
    t.after(async () => {
      await models.close()
      await store.close()
      await rm(dir, { recursive: true, force: true })
    })
    const settings = kafkaSettings({ partitions: 4 })
    const { tasks: topic, status, results, dlq } = settings.topics
    await createTopics(t, [topic, status, results, dlq], 4)
    const publisher = await KafkaPublisher.create({ kafka: settings }, deps)
    const texts = Array.from({ length: total }, (_, i) => ({
      version: 1,
      task_id: `k${i}`,
      type: 'text',
      text: `kafka worker text number ${i}`,
    }))
    await publisher.publish(
      texts.map((m) => Buffer.from(JSON.stringify(m))),
      { signal: AbortSignal.timeout(30_000) },
    )
    await publisher.close()

    const joined: { second?: InProcessWorker } = {}
    const shared = () => (joined.second?.source.partitions.length ?? 0) > 0
    const parts = { settings, store: slowUntil(store, shared), models }
    const options = { processing, idleCheckMs: 100 }
    const first = await startKafkaWorker('w-1', parts, options)
    await waitUntil(
      () => `50 tasks done by the first worker (${first.stats.succeeded})`,
      () => first.stats.succeeded >= 50,
      { timeoutMs: 120_000, intervalMs: 10 },
    )
    const second = await startKafkaWorker('w-2', parts, options)
    joined.second = second
    await Promise.all([first.done, second.done])

    assert.ok(second.stats.succeeded > 0, 'the second worker got partitions')
    const records = await readTopic(status, 2 * (first.stats.succeeded + second.stats.succeeded))
    const succeeded = new Set(
      records
        .map((r) => JSON.parse(r.value.toString()) as StatusMessage)
        .filter((s) => s.state === 'succeeded')
        .map((s) => s.task_id),
    )
    assert.equal(succeeded.size, total, 'every task succeeded')
    assert.equal(await store.count('docs', { signal: AbortSignal.timeout(10_000) }), total)
    const processed = first.stats.succeeded + second.stats.succeeded
    assert.ok(processed >= total, `processed ${processed}`)
    t.diagnostic(
      `w-1 ${first.stats.succeeded}, w-2 ${second.stats.succeeded}, again ${processed - total}`,
    )

    // The group committed the end of every partition: a third worker finds nothing to do.
    const third = await startKafkaWorker('w-3', parts, options)
    await third.done
    assert.equal(third.stats.succeeded, 0)
  })
})
