/**
 * KafkaSource.probe against the real broker: the consumer lag that /metrics shows
 * (vectorize_source_lag_messages) is what is published and not yet committed.
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { silentLogger } from '../../src/observability/logger.ts'
import { KafkaPublisher, KafkaSource } from '../../src/sources/kafka.ts'
import type { SourceMessage } from '../../src/sources/source.ts'
import { createTopics, kafkaSettings, skipKafka } from '../helpers/kafka.ts'
import { waitUntil } from '../helpers/wait.ts'
import { skipUnless } from '../helpers/skip.ts'

const deps = { logger: silentLogger }
const signal = (): AbortSignal => AbortSignal.timeout(60_000)

describe('KafkaSource lag', { skip: skipUnless(skipKafka) }, () => {
  it('should report published-but-uncommitted messages per partition, and none once committed', async (t) => {
    const settings = kafkaSettings()
    await createTopics(t, [settings.topics.tasks], 3)
    const publisher = await KafkaPublisher.create({ kafka: settings }, deps)
    t.after(() => publisher.close())
    const values = Array.from({ length: 30 }, (_, i) =>
      Buffer.from(JSON.stringify({ task_id: `l-${i}` })),
    )
    await publisher.publish(values, { signal: signal() })
    const source = await KafkaSource.create({ kafka: settings, idleCheckMs: 100 }, deps)
    t.after(() => source.close())

    const total = async () => {
      const { lag } = await source.probe({ signal: signal() })
      return { partitions: lag.length, messages: lag.reduce((sum, p) => sum + p.messages, 0) }
    }
    let last = { partitions: 0, messages: 0 }
    await waitUntil(
      () => `the 3 partitions to be assigned with lag 30; last ${JSON.stringify(last)}`,
      async () => (last = await total()).partitions === 3 && last.messages === 30,
      { timeoutMs: 60_000, intervalMs: 200 },
    )

    const seen: SourceMessage[] = []
    for await (const m of source.messages({ signal: signal(), untilIdle: true })) seen.push(m)
    assert.equal(seen.length, 30)
    assert.equal((await total()).messages, 30, 'delivered but not committed is still lag')
    const next = new Map<number, number>()
    for (const m of seen) next.set(m.partition, Math.max(next.get(m.partition) ?? 0, m.offset + 1))
    await source.commit(
      [...next].map(([partition, offset]) => ({ partition, offset })),
      { signal: signal() },
    )
    assert.deepEqual(await total(), { partitions: 3, messages: 0 })
  })
})
