/**
 * KafkaSource and KafkaPublisher against the real broker (scripts/services.sh up kafka): the
 * TaskSource contract on a single-partition topic, then what only Kafka has — several partitions,
 * keys, backpressure by pausing, and revocation when a second worker joins the group.
 */
import * as assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { KafkaSettings } from '../../src/kafka/client.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import type { KafkaSourceConfig } from '../../src/sources/kafka.ts'
import { KafkaPublisher, KafkaSource } from '../../src/sources/kafka.ts'
import type { SourceMessage, TaskSource } from '../../src/sources/source.ts'
import { VectorizeError } from '../../src/worker/errors.ts'
import { loadKafka } from '../../src/kafka/client.ts'
import { createTopics, kafkaSettings, readTopic, skipKafka } from '../helpers/kafka.ts'
import { sourceContract } from '../sources/contract.ts'
import { skipUnless } from '../helpers/skip.ts'

const deps = { logger: silentLogger }
const signal = (): AbortSignal => AbortSignal.timeout(60_000)
const task = (i: number) =>
  Buffer.from(JSON.stringify({ version: 1, task_id: `t-${i}`, text: `${i}` }))
const taskIdOf = (m: SourceMessage) =>
  (JSON.parse(Buffer.from(m.value).toString()) as { task_id: string }).task_id

interface Closeable {
  close(): Promise<void>
}

/** Fresh topics (`partitions` for tasks) and group; whatever is opened is closed after the test. */
async function kafkaHarness(t: TestContext, partitions: number) {
  const settings = kafkaSettings()
  await createTopics(t, [settings.topics.tasks], partitions)
  const opened: Closeable[] = []
  t.after(async () => {
    for (const item of opened.reverse()) await item.close()
  })
  const track = <T extends Closeable>(item: T): T => {
    opened.push(item)
    return item
  }
  return {
    settings,
    source: async (config: Partial<KafkaSourceConfig> = {}) =>
      track(await KafkaSource.create({ kafka: settings, idleCheckMs: 100, ...config }, deps)),
    publisher: async () => track(await KafkaPublisher.create({ kafka: settings }, deps)),
  }
}

async function publish(harness: Awaited<ReturnType<typeof kafkaHarness>>, values: Buffer[]) {
  const publisher = await harness.publisher()
  assert.equal(await publisher.publish(values, { signal: signal() }), values.length)
}

async function drain(source: TaskSource): Promise<SourceMessage[]> {
  const seen: SourceMessage[] = []
  for await (const m of source.messages({ signal: signal(), untilIdle: true })) seen.push(m)
  return seen
}

/** Per partition, one past the highest offset seen. */
function nextOffsets(messages: readonly SourceMessage[]) {
  const next = new Map<number, number>()
  for (const m of messages)
    next.set(m.partition, Math.max(next.get(m.partition) ?? 0, m.offset + 1))
  return [...next].map(([partition, offset]) => ({ partition, offset }))
}

if (skipKafka) {
  describe('KafkaSource (TaskSource contract)', () => {
    it('KafkaSource should pass the TaskSource contract', { skip: skipUnless(skipKafka) }, () => {})
  })
} else {
  sourceContract(
    'KafkaSource',
    async (t) => {
      const harness = await kafkaHarness(t, 1)
      return { openSource: () => harness.source(), openPublisher: () => harness.publisher() }
    },
    { timeoutMs: 60_000 },
  )
}

describe('KafkaSource', { skip: skipUnless(skipKafka), timeout: 120_000 }, () => {
  it('KafkaSource should deliver every message of several partitions and resume at their commits', async (t) => {
    const harness = await kafkaHarness(t, 4)
    await publish(
      harness,
      Array.from({ length: 200 }, (_, i) => task(i)),
    )
    const first = await harness.source()
    const seen = await drain(first)
    assert.deepEqual(
      seen.map(taskIdOf).sort(),
      Array.from({ length: 200 }, (_, i) => `t-${i}`).sort(),
    )
    const partitions = new Set(seen.map((m) => m.partition))
    assert.ok(partitions.size > 1, `keys spread over partitions (${[...partitions].join(',')})`)
    for (const p of partitions) {
      const offsets = seen.filter((m) => m.partition === p).map((m) => m.offset)
      assert.deepEqual(
        offsets,
        [...offsets].sort((a, b) => a - b),
        `partition ${p} in order`,
      )
    }
    // Commit all of two partitions only: a reopened source gets exactly the other two back.
    const [a, b] = [...partitions].sort()
    const committed = nextOffsets(seen).filter((p) => p.partition === a || p.partition === b)
    await first.commit(committed, { signal: signal() })
    await first.close()

    const second = await harness.source()
    const again = await drain(second)
    const expected = seen.filter((m) => m.partition !== a && m.partition !== b)
    assert.deepEqual(again.map(taskIdOf).sort(), expected.map(taskIdOf).sort())
  })

  it('KafkaPublisher should key tasks by task_id so one task always maps to one partition', async (t) => {
    const harness = await kafkaHarness(t, 4)
    const values = [task(1), task(2), task(3), task(1), task(2), task(3), Buffer.from('not json')]
    await publish(harness, values)
    const records = await readTopic(harness.settings.topics.tasks, values.length)
    const partitionOf = new Map<string, Set<number>>()
    for (const r of records) {
      partitionOf.set(r.key ?? '', (partitionOf.get(r.key ?? '') ?? new Set()).add(r.partition))
    }
    for (const id of ['t-1', 't-2', 't-3']) assert.equal(partitionOf.get(id)?.size, 1, id)
    assert.equal(records.filter((r) => r.key === undefined).length, 1, 'non-JSON is unkeyed')
  })

  it('KafkaSource should pause partitions instead of buffering what the worker does not pull', async (t) => {
    const harness = await kafkaHarness(t, 2)
    await publish(
      harness,
      Array.from({ length: 1_000 }, (_, i) => task(i)),
    )
    const source = await harness.source({ maxBufferedMessages: 20 })
    const bound = 20 + 2 // one message per partition may land past a full buffer
    const iterator = source.messages({ signal: signal(), untilIdle: true })[Symbol.asyncIterator]()
    const seen: SourceMessage[] = []
    const first = await iterator.next()
    assert.ok(!first.done)
    seen.push(first.value)
    await sleep(3_000) // a slow worker: the client keeps fetching, the buffer must not grow
    assert.ok(source.bufferStats.messages <= bound, `buffered ${source.bufferStats.messages}`)
    for (;;) {
      const next = await iterator.next()
      if (next.done) break
      seen.push(next.value)
      if (seen.length % 100 === 0) await sleep(50)
    }
    assert.equal(
      new Set(seen.map(taskIdOf)).size,
      1_000,
      'everything delivered once paused ones resume',
    )
    assert.ok(source.bufferStats.peakMessages <= bound, `peak ${source.bufferStats.peakMessages}`)
  })

  it('KafkaSource should ignore commits of partitions it does not own', async (t) => {
    const harness = await kafkaHarness(t, 1)
    await publish(harness, [task(0), task(1)])
    const source = await harness.source()
    assert.equal((await drain(source)).length, 2)
    await source.commit([{ partition: 7, offset: 1 }], { signal: signal() })
    await source.commit([{ partition: 0, offset: 2 }], { signal: signal() })
    await source.close()
    assert.deepEqual(await drain(await harness.source()), [])
  })

  it('KafkaSource should await revoked and stop yielding revoked partitions when a worker joins', async (t) => {
    const harness = await kafkaHarness(t, 4)
    await publish(
      harness,
      Array.from({ length: 400 }, (_, i) => task(i)),
    )
    const stop = new AbortController()
    t.after(() => stop.abort())
    const first = await harness.source({ maxBufferedMessages: 50 })
    const byFirst: { m: SourceMessage; at: number }[] = []
    const revocation = { at: Infinity, resolvedAt: Infinity, partitions: [] as number[] }
    const committed = new Map<number, number>()
    let revocationBegan = () => {}
    const began = new Promise<void>((resolve) => (revocationBegan = resolve))
    const events = {
      revoked: async (partitions: readonly number[]) => {
        revocation.at = performance.now()
        revocationBegan()
        revocation.partitions = [...partitions].sort()
        await sleep(1_000) // the worker finishing in-flight work
        const done = nextOffsets(
          byFirst.map((s) => s.m).filter((m) => partitions.includes(m.partition)),
        )
        await first.commit(done, { signal: signal() })
        for (const p of done) committed.set(p.partition, p.offset)
        revocation.resolvedAt = performance.now()
      },
    }
    const consuming = (async () => {
      for await (const m of first.messages({ signal: stop.signal, untilIdle: false, events })) {
        byFirst.push({ m, at: performance.now() })
        await sleep(20) // a slow worker
        // ... that has not finished when the second joins, however slowly the group settles
        if (byFirst.length === 40) await Promise.race([began, sleep(60_000)])
      }
    })()
    while (byFirst.length < 20) await sleep(10)

    const second = await harness.source()
    const bySecond: { m: SourceMessage; at: number }[] = []
    const consuming2 = (async () => {
      for await (const m of second.messages({ signal: stop.signal, untilIdle: false })) {
        bySecond.push({ m, at: performance.now() })
      }
    })()
    while (new Set([...byFirst, ...bySecond].map((s) => taskIdOf(s.m))).size < 400) {
      assert.ok(
        second.partitions.length === 0 || revocation.resolvedAt < Infinity,
        'handed over early',
      )
      await sleep(20)
    }
    stop.abort()
    await Promise.all([consuming, consuming2])

    assert.equal(revocation.partitions.length, 2, 'cooperative-sticky moves two of four partitions')
    assert.deepEqual(second.partitions, revocation.partitions)
    const moved = (m: SourceMessage) => revocation.partitions.includes(m.partition)
    const late = byFirst.filter((s) => s.at > revocation.at && moved(s.m))
    assert.equal(late.length, 0, 'no revoked partition message after the revocation began')
    assert.ok(
      bySecond.every((s) => s.at >= revocation.resolvedAt),
      'handed over after revoked',
    )
    for (const p of revocation.partitions) {
      const offsets = bySecond.filter((s) => s.m.partition === p).map((s) => s.m.offset)
      if (offsets.length > 0) assert.equal(Math.min(...offsets), committed.get(p) ?? 0, `p${p}`)
    }
    const all = [...byFirst, ...bySecond].map((s) => taskIdOf(s.m))
    assert.equal(all.length, 400, 'no message delivered twice: the commit covered what was taken')
  })

  it('KafkaSource should fail with config_invalid when the tasks topic does not exist', async () => {
    const settings: KafkaSettings = kafkaSettings()
    await assert.rejects(KafkaSource.create({ kafka: settings }, deps), (err: unknown) => {
      assert.ok(err instanceof VectorizeError)
      assert.equal(err.code, 'config_invalid')
      assert.match(err.message, /create_topics/)
      return true
    })
  })
})

describe('KafkaSource without the client installed', () => {
  it('KafkaSource should fail with config_invalid naming the install step', async () => {
    const missing = () => loadKafka('@confluentinc/kafka-javascript-not-installed')
    const settings = { ...kafkaSettings(), brokers: ['127.0.0.1:9'] }
    await assert.rejects(
      KafkaSource.create({ kafka: settings }, { ...deps, load: missing }),
      (err) => {
        assert.ok(err instanceof VectorizeError)
        assert.equal(err.code, 'config_invalid')
        assert.match(err.message, /not installed/)
        assert.match(err.message, /CKJS_LINKING=dynamic npm i/)
        assert.match(err.message, /libsasl2-dev/)
        return true
      },
    )
  })
})
