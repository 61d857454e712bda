import * as assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { silentLogger } from '../../src/observability/logger.ts'
import { LocalPublisher, LocalSource } from '../../src/sources/local.ts'
import type { SourceMessage } from '../../src/sources/source.ts'

const deps = { logger: silentLogger }
const signal = () => AbortSignal.timeout(30_000)
const values = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => Buffer.from(JSON.stringify({ task_id: `q-${from + i}` })))

describe('LocalSource lag', () => {
  it('should count messages after the durable commit, including ones appended later', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'vectorize-lag-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const publisher = await LocalPublisher.create({ dir }, deps)
    t.after(() => publisher.close())
    await publisher.publish(values(5), { signal: signal() })
    const source = await LocalSource.create({ dir, pollIntervalMs: 20 }, deps)
    t.after(() => source.close())
    const lag = async () => (await source.probe()).lag

    assert.deepEqual(await lag(), [{ partition: 0, messages: 5 }])
    const seen: SourceMessage[] = []
    for await (const m of source.messages({ signal: signal(), untilIdle: true })) seen.push(m)
    assert.equal(seen.length, 5)
    assert.deepEqual(await lag(), [{ partition: 0, messages: 5 }], 'delivered is not done')
    await source.commit([{ partition: 0, offset: 3 }], { signal: signal() })
    assert.deepEqual(await lag(), [{ partition: 0, messages: 2 }])
    await publisher.publish(values(2, 5), { signal: signal() })
    assert.deepEqual(await lag(), [{ partition: 0, messages: 4 }])
  })
})
