/**
 * Issue 13: the dashboard's counts per state in Kafka mode, from one tail of the status topic on the
 * real broker. It starts at the records of the last window (offsetsForTimes), keeps reading what is
 * written after, waits out a topic that does not exist yet, keeps at most `maxTasks` tasks, and
 * never joins or commits to a consumer group — the workers' or its own.
 */
import * as assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import { silentLogger } from '../../src/observability/logger.ts'
import type { StatusMessage } from '../../src/protocol/report.ts'
import {
  KafkaStateCounts,
  type StateCounts,
  type StateCountsOptions,
} from '../../src/reporters/kafka-state-counts.ts'
import type { KafkaSettings } from '../../src/kafka/client.ts'
import { createTopics, GroupProbe, kafkaSettings, produce, skipKafka } from '../helpers/kafka.ts'
import { waitUntil } from '../helpers/wait.ts'

const hour = 3_600_000

function record(id: string, state: StatusMessage['state'], writtenMs = Date.now()) {
  const status: StatusMessage = {
    task_id: id,
    state,
    worker_id: 'w-1',
    at: new Date(writtenMs).toISOString(),
  }
  return { key: id, value: JSON.stringify(status), timestamp: writtenMs }
}

function start(t: TestContext, settings: KafkaSettings, options: Partial<StateCountsOptions> = {}) {
  const counts = KafkaStateCounts.start(
    settings,
    { logger: silentLogger },
    { windowMs: hour, maxTasks: 1_000, retryMs: 200, ...options },
  )
  t.after(() => counts.close())
  return counts
}

/** Waits until the counts are readable, caught up, and `done` holds; returns them. */
async function until(
  counts: KafkaStateCounts,
  what: string,
  done: (c: StateCounts) => boolean = () => true,
): Promise<StateCounts> {
  let last: StateCounts | string = 'nothing yet'
  await waitUntil(
    () => `${what}: ${JSON.stringify(last)}`,
    () => {
      try {
        last = counts.counts()
      } catch (err) {
        last = (err as Error).message
        return false
      }
      return last.caughtUp && done(last)
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  )
  return last as unknown as StateCounts
}

describe('KafkaStateCounts on the real broker', { skip: skipKafka, timeout: 120_000 }, () => {
  it('KafkaStateCounts should count the last window, then follow new records', async (t) => {
    const settings = kafkaSettings()
    const topic = settings.topics.status
    await createTopics(t, [topic], 3)
    const old = Date.now() - 2 * hour
    await produce(topic, [
      record('old-1', 'queued', old),
      record('old-1', 'succeeded', old + 1),
      record('old-2', 'failed', old + 2),
    ])
    await produce(topic, [
      record('t-1', 'queued'),
      record('t-1', 'started'),
      record('t-1', 'succeeded'),
      record('t-2', 'started'),
      record('t-2', 'failed'),
      record('t-3', 'queued'),
      record('t-4', 'started'),
      record('old-3', 'succeeded', old + 3), // written after, stamped long before: not counted
    ])
    const counts = start(t, settings)
    const first = await until(counts, 'the last hour counted', (c) => c.tasks === 4)
    assert.deepEqual(first.states, { queued: 1, started: 1, progress: 0, succeeded: 1, failed: 1 })
    assert.deepEqual([first.windowMs, first.maxTasks, first.evicted], [hour, 1_000, 0])
    assert.equal(counts.records, 8, 'read from the first record of the last hour, not the start')

    await produce(topic, [record('t-3', 'started'), record('t-5', 'queued')])
    const next = await until(counts, 't-3 started and t-5 queued', (c) => c.tasks === 5)
    assert.deepEqual(next.states, { queued: 1, started: 2, progress: 0, succeeded: 1, failed: 1 })

    // never a member of a group, never a commit: not the workers' group, not one of its own
    for (const group of [settings.group_id, `${settings.group_id}.dashboard-states`]) {
      const probe = await GroupProbe.open(t, group, topic)
      assert.deepEqual((await probe.state()).members, [], `${group} has no members`)
      const committed = [...(await probe.committed()).values()]
      assert.ok(
        committed.every((offset) => offset === null),
        `${group} committed nothing: ${committed.join(',')}`,
      )
    }
  })

  it('KafkaStateCounts should say it is waiting for a status topic that does not exist yet, then read it', async (t) => {
    const settings = kafkaSettings()
    const counts = start(t, settings)
    let refused = ''
    await waitUntil(
      () => `the counts to say why they are not there (${refused})`,
      () => {
        try {
          counts.counts()
          return false
        } catch (err) {
          refused = (err as Error).message
          return /does not exist/.test(refused)
        }
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    )
    assert.match(refused, new RegExp(settings.topics.status))
    await createTopics(t, [settings.topics.status], 2)
    await produce(settings.topics.status, [record('late-1', 'queued')])
    const read = await until(counts, 'the new topic read', (c) => c.tasks === 1)
    assert.equal(read.states.queued, 1)
    assert.equal(read.error, undefined)
  })

  it('KafkaStateCounts should keep at most maxTasks, dropping the least recently updated', async (t) => {
    const settings = kafkaSettings()
    const topic = settings.topics.status
    await createTopics(t, [topic], 1)
    await produce(
      topic,
      ['a', 'b', 'c', 'd', 'e'].map((id) => record(id, 'started')),
    )
    const counts = start(t, settings, { maxTasks: 3 })
    const read = await until(counts, 'five tasks read, three kept', (c) => c.evicted === 2)
    assert.deepEqual([read.tasks, read.states.started], [3, 3])
  })
})
