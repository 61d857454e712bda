/**
 * Acceptance 3 of issue 3, broker restart: two `vectorize worker` processes are working through
 * 4,000 tasks when the broker process is stopped and started again (`scripts/services.sh down
 * kafka` then `up kafka`, same data directory). The workers are not restarted: they ride out the
 * outage (reports and commits retried, librdkafka reconnecting) and finish, losing and duplicating
 * nothing. This stops the broker every integration test shares: the runner runs integration files
 * one at a time, and the broker is brought back even when the test fails (the first `after`).
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { describeRun } from '../helpers/cli.ts'
import { skipKafka } from '../helpers/kafka.ts'
import { assertExactlyOnceStored, kafkaCluster, textTasks } from '../helpers/kafka-cli.ts'
import { kafkaManaged, kafkaService } from '../helpers/services.ts'
import { skipUnless } from '../helpers/skip.ts'

const TASKS = 4_000
/** Succeeded tasks before the broker goes down: both workers busy, most of the work still ahead. */
const STOP_AT = 1_000
/** How long the broker stays down, on top of its shutdown and start-up. */
const DOWN_MS = 5_000
const COLLECTION = 'broker_restart'

const managed = skipKafka ? false : await kafkaManaged()
const skip = skipUnless(
  skipKafka || (!managed && 'the broker was not started by scripts/services.sh, which restarts it'),
)

describe('vectorize worker on Kafka (broker restart)', { skip, timeout: 300_000 }, () => {
  it('should finish every task exactly once when the broker restarts mid-stream, without restarting the workers', async (t) => {
    // Registered first, so it runs before the other cleanups (which need the broker).
    t.after(() => kafkaService('up').then(() => undefined))
    const cluster = await kafkaCluster(t, { partitions: 6 })
    const { board } = cluster
    const workers = [cluster.worker('w-1'), cluster.worker('w-2')]
    await cluster.group.waitForMembers(2, 60_000)
    const tasks = textTasks(TASKS, 'restart', COLLECTION)
    await cluster.submit(tasks)
    await cluster.waitFor(
      () => `${STOP_AT} tasks to succeed before the restart (${board.succeeded} did)`,
      () => board.succeeded >= STOP_AT,
      120_000,
    )

    const downAt = performance.now()
    let doneAtStop: number
    let upAt: number
    try {
      await kafkaService('down')
      doneAtStop = board.succeeded
      assert.equal(await kafkaManaged(), false, 'the broker is down')
      await sleep(DOWN_MS)
    } finally {
      await kafkaService('up')
      upAt = performance.now()
    }
    assert.ok(doneAtStop < TASKS, `the restart came mid-stream (${doneAtStop} done)`)
    const doneAtUp = board.succeeded
    await cluster.waitFor(
      () => `all ${TASKS} tasks to succeed after the restart (${board.succeeded} did)`,
      () => board.succeeded >= TASKS,
      180_000,
    )
    const completedAt = performance.now()
    await cluster.group.waitForCommitsAtEnd(60_000)
    const stops = await Promise.all(workers.map((w) => w.stop(30_000)))
    for (const { result } of stops) assert.equal(result.code, 0, describeRun(['worker'], result))

    const { final } = await assertExactlyOnceStored(cluster, tasks, COLLECTION)

    const logLines = (text: string) =>
      stops.map(({ result }) => result.stderr.split('\n').filter((l) => l.includes(text)).length)
    // librdkafka says this ~14 times a second per client while the broker is down: written once
    // per client and window (source, reporter; a summary line each if the outage spans a window)
    for (const [i, down] of logLines('all broker connections are down').entries())
      assert.ok(down <= 4, `w-${i + 1} wrote "all broker connections are down" ${down} times`)
    t.diagnostic(
      `broker down at ${doneAtStop} succeeded, ${doneAtUp} at restart; down → up ${Math.round(upAt - downAt)} ms; ` +
        `up → all done ${Math.round(completedAt - upAt)} ms; processed again: ${final.reprocessed().length}; ` +
        `per worker: ${logLines('commit failed').join('/')} failed commits retried, ` +
        `${logLines('partitions lost').join('/')} assignments lost; ` +
        `summaries: ${stops.map(({ result }) => result.stdout.split('\n')[0]).join(' | ')}`,
    )
  })
})
