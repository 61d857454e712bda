/**
 * Acceptance 3 of issue 4, Weaviate outage: two `vectorize worker` processes on Kafka, writing to a
 * real Weaviate server, work through 2,000 tasks when the server process is stopped
 * (`scripts/services.sh down weaviate`), kept down for 30 s and started again (same data
 * directory). The workers are not restarted: their writes fail with retriable store_unavailable,
 * are retried while the tasks hold their slots, and succeed once the server is back. Nothing is
 * lost (every task succeeds, every reported vector id is stored), nothing is duplicated (one
 * object per task), nothing is dead-lettered and no task is reported failed. The server is brought
 * back even when the test fails (the first `after`).
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { describeRun } from '../helpers/cli.ts'
import { readToEnd, skipKafka } from '../helpers/kafka.ts'
import { kafkaCluster, parseResult, StatusBoard, textTasks } from '../helpers/kafka-cli.ts'
import { weaviateManaged, weaviateService } from '../helpers/services.ts'
import {
  skipWeaviate,
  storedRecordIds,
  weaviateCollection,
  weaviateEnv,
} from '../helpers/weaviate.ts'
import { skipUnless } from '../helpers/skip.ts'

const TASKS = 2_000
/** Succeeded tasks before the server goes down: both workers busy, most of the work ahead. */
const STOP_AT = 400
const DOWN_MS = 30_000

const managed = skipKafka || skipWeaviate ? false : await weaviateManaged()
const skip = skipUnless(
  skipKafka ||
    skipWeaviate ||
    (!managed && 'Weaviate was not started by scripts/services.sh, which restarts it'),
)

describe(
  'vectorize worker on Kafka and Weaviate (store outage)',
  { skip, timeout: 420_000 },
  () => {
    it('should retry writes through a 30 s Weaviate outage and lose, duplicate and dead-letter nothing', async (t) => {
      t.after(() => weaviateService('up').then(() => undefined))
      const collection = weaviateCollection('outage')
      const cluster = await kafkaCluster(t, { partitions: 6 })
      const { board } = cluster
      const env = weaviateEnv()
      const workers = [cluster.worker('w-1', env), cluster.worker('w-2', env)]
      /** On a timeout: the workers' last log lines, and the tasks that did not succeed. */
      const withLogs = async (err: unknown): Promise<never> => {
        const logs = await Promise.all(workers.map((w) => w.stop(30_000)))
        const tails = logs.map(({ result }) => result.stderr.slice(-3_000)).join('\n---\n')
        const pending = [...board.tasks].filter(([, tr]) => tr.succeededAt.length === 0)
        const names = pending.slice(0, 10).map(([id]) => id)
        const failed = [...board.tasks.values()].flatMap((tr) => tr.failed).slice(0, 3)
        throw new Error(
          `${(err as Error).message}; not succeeded: ${names.join(', ')}; failed: ${JSON.stringify(failed)}; logs:\n${tails}`,
        )
      }
      await cluster.group.waitForMembers(2, 60_000)
      await cluster.submit(textTasks(TASKS, 'outage', collection))
      await cluster
        .waitFor(
          () => `${STOP_AT} tasks to succeed before the outage (${board.succeeded} did)`,
          () => board.succeeded >= STOP_AT,
          120_000,
        )
        .catch(withLogs)

      let doneAtStop: number
      let downAt: number
      let upAt: number
      try {
        await weaviateService('down')
        downAt = Date.now()
        doneAtStop = board.succeeded
        await sleep(DOWN_MS)
      } finally {
        upAt = Date.now()
        await weaviateService('up')
      }
      assert.ok(doneAtStop < TASKS, `the outage came mid-stream (${doneAtStop} done)`)
      await cluster
        .waitFor(
          () => `all ${TASKS} tasks to succeed after the outage (${board.succeeded} did)`,
          () => board.succeeded >= TASKS,
          240_000,
        )
        .catch(withLogs)
      for (const w of workers) {
        const { result } = await w.stop(30_000)
        assert.equal(result.code, 0, describeRun(['worker'], result))
      }

      const { topics } = cluster.settings
      const final = StatusBoard.of(await readToEnd(topics.status))
      // By the workers' own status times, not the board's (it lags the status topic): a task whose
      // write was acknowledged just before the stop reports at once; from 5 s on, none can succeed.
      const whileDown = [...final.tasks.values()].filter((task) =>
        task.succeededAt.some((at) => at > downAt + 5_000 && at < upAt),
      )
      assert.ok(whileDown.length <= 20, `${whileDown.length} tasks succeeded while down`)
      const lost = [...Array(TASKS).keys()]
        .map((i) => `outage-${i}`)
        .filter((id) => (final.tasks.get(id)?.succeededAt.length ?? 0) === 0)
      assert.deepEqual(lost.slice(0, 5), [], `${lost.length} tasks lost`)
      assert.equal(final.failed, 0, 'no failed status')
      assert.deepEqual(await readToEnd(topics.dlq), [], 'nothing dead-lettered')
      const stored = await storedRecordIds(collection)
      const distinct = new Set(stored)
      assert.equal(stored.length, TASKS, 'one object per task')
      assert.equal(distinct.size, TASKS, `${stored.length - distinct.size} duplicate ids`)
      const reported = (await readToEnd(topics.results)).map(parseResult).flatMap((r) => r.ids)
      const missing = reported.filter((id) => !distinct.has(id))
      assert.deepEqual(missing.slice(0, 5), [], `${missing.length} reported vector ids not stored`)
      console.log(
        `weaviate outage: ${doneAtStop} done at stop, ${whileDown.length} succeeded 5 s after the stop or later while down, ` +
          `${final.reprocessed().length} tasks started twice, ${TASKS} stored once each`,
      )
    })
  },
)
