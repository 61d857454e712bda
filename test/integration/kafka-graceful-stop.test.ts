/**
 * Acceptance 6 of issue 3, graceful stop: a `vectorize worker` gets SIGTERM in the middle of 3,000
 * tasks. It stops pulling, finishes what it has in flight, commits, and exits 0 within its grace
 * time; the group's commits then cover exactly the tasks it finished. A worker started afterwards
 * does the rest and processes nothing again: every task is started once and succeeds once.
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { describeRun } from '../helpers/cli.ts'
import { readToEnd, skipKafka } from '../helpers/kafka.ts'
import {
  kafkaCluster,
  parseResult,
  StatusBoard,
  storedIds,
  textTasks,
} from '../helpers/kafka-cli.ts'
import { skipUnless } from '../helpers/skip.ts'

const TASKS = 3_000
/** Succeeded tasks before the SIGTERM: well past start-up, far from the end. */
const STOP_AT = 1_000
const GRACE_MS = 30_000 // exit code 0 already shows the drain ended within it (grace expiring exits 75)
const COLLECTION = 'graceful'

describe(
  'vectorize worker on Kafka (graceful stop)',
  { skip: skipUnless(skipKafka), timeout: 240_000 },
  () => {
    it('should drain and commit on SIGTERM so that a restarted worker reprocesses nothing', async (t) => {
      const cluster = await kafkaCluster(t, { partitions: 6 })
      const { board } = cluster
      const env = { VECTORIZE_WORKER_WORKER_SHUTDOWN_GRACE_MS: String(GRACE_MS) }
      const first = cluster.worker('w-1', env)
      await cluster.group.waitForMembers(1, 60_000)
      await cluster.submit(textTasks(TASKS, 'graceful', COLLECTION))
      await cluster.waitFor(
        () => `${STOP_AT} tasks to succeed before the SIGTERM (${board.succeeded} did)`,
        () => board.succeeded >= STOP_AT,
        120_000,
      )

      const termAt = Date.now()
      const stopped = await first.stop(GRACE_MS + 20_000)
      assert.equal(stopped.result.code, 0, describeRun(['worker'], stopped.result))
      assert.ok(stopped.ms < GRACE_MS, `exited ${Math.round(stopped.ms)} ms after SIGTERM`)
      const drained = StatusBoard.of(await readToEnd(cluster.settings.topics.status))
      const byFirst = [...drained.tasks].filter(([, task]) => task.succeededAt.length > 0)
      const beforeTerm = new Set(
        byFirst.filter(([, task]) => (task.succeededAt[0] ?? Infinity) < termAt).map(([id]) => id),
      )
      assert.ok(byFirst.length < TASKS, `the SIGTERM came mid-stream (${byFirst.length} done)`)
      const committed = await cluster.group.committed()
      const covered = [...committed.values()].reduce<number>((n, offset) => n + (offset ?? 0), 0)
      assert.equal(covered, byFirst.length, 'the commits cover exactly the tasks w-1 finished')

      const second = cluster.worker('w-2', env)
      await cluster.waitFor(
        () => `all ${TASKS} tasks to succeed after the restart (${board.succeeded} did)`,
        () => board.succeeded >= TASKS,
        120_000,
      )
      const { result } = await second.stop(GRACE_MS + 20_000)
      assert.equal(result.code, 0, describeRun(['worker'], result))

      const { topics } = cluster.settings
      const final = StatusBoard.of(await readToEnd(topics.status))
      const again = [...beforeTerm].filter((id) => (final.tasks.get(id)?.startedBy.length ?? 0) > 1)
      assert.deepEqual(
        again.slice(0, 5),
        [],
        `${again.length} tasks done before the SIGTERM were processed again`,
      )
      const reprocessed = final.reprocessed()
      assert.deepEqual(
        reprocessed.slice(0, 5),
        [],
        `${reprocessed.length} tasks started more than once`,
      )
      const ids = Array.from({ length: TASKS }, (_, i) => `graceful-${i}`)
      const notOnce = ids.filter((id) => final.tasks.get(id)?.succeededAt.length !== 1)
      assert.deepEqual(
        notOnce.slice(0, 5),
        [],
        `${notOnce.length} tasks without exactly one success`,
      )
      assert.equal(final.failed, 0, 'no failed status')
      const results = (await readToEnd(topics.results)).map(parseResult)
      assert.equal(new Set(results.map((r) => r.task_id)).size, TASKS, 'a result for every task')
      assert.equal(results.length, TASKS, 'one result per task')
      const stored = await storedIds(cluster.ws.lancedbPath, COLLECTION)
      assert.equal(stored.count, TASKS)
      assert.equal(new Set(stored.ids).size, TASKS, 'distinct vector ids')
      t.diagnostic(
        `SIGTERM at ${beforeTerm.size} succeeded; w-1 finished ${byFirst.length} (${byFirst.length - beforeTerm.size} while draining) ` +
          `and exited 0 after ${Math.round(stopped.ms)} ms (grace ${GRACE_MS} ms); commits covered ${covered}; ` +
          `w-2 did the other ${TASKS - byFirst.length}; processed again: ${reprocessed.length}`,
      )
    })
  },
)
