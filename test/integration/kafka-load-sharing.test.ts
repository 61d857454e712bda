/**
 * Acceptance 1 of issue 3, load sharing: three `vectorize worker` processes in one consumer group
 * on a 6-partition tasks topic process 3,000 tasks submitted with `vectorize submit`. Each worker
 * does some of them; every task has exactly one `succeeded` status and exactly one result; the
 * LanceDB collection the workers share ends with one vector per task. SIGTERM stops them cleanly.
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { describeRun } from '../helpers/cli.ts'
import { readToEnd, skipKafka } from '../helpers/kafka.ts'
import { kafkaCluster, parseResult, perWorker, StatusBoard } from '../helpers/kafka-cli.ts'
import { storedIds, textTasks } from '../helpers/kafka-cli.ts'
import { skipUnless } from '../helpers/skip.ts'

const TASKS = 3_000
const COLLECTION = 'load_sharing'
const WORKERS = ['w-1', 'w-2', 'w-3']

describe(
  'vectorize worker on Kafka (load sharing)',
  { skip: skipUnless(skipKafka), timeout: 240_000 },
  () => {
    it('three workers in one group should share the partitions and process every task exactly once', async (t) => {
      const cluster = await kafkaCluster(t, { partitions: 6 })
      const workers = WORKERS.map((id) => cluster.worker(id))
      // The group settles before any task exists, so every worker owns two partitions and no
      // rebalance moves work mid-stream: this tests sharing, not which process starts first.
      const group = await cluster.group.waitForMembers(WORKERS.length, 60_000)
      const started = performance.now()
      await cluster.submit(textTasks(TASKS, 'load', COLLECTION))
      await cluster.waitFor(
        () => `${cluster.board.succeeded}/${TASKS} tasks to succeed`,
        () => cluster.board.succeeded >= TASKS,
        120_000,
      )
      const seconds = (performance.now() - started) / 1000
      const stops = await Promise.all(workers.map((w) => w.stop(30_000)))
      for (const { result } of stops) assert.equal(result.code, 0, describeRun(['worker'], result))

      const { topics } = cluster.settings
      const board = StatusBoard.of(await readToEnd(topics.status))
      const results = (await readToEnd(topics.results)).map(parseResult)
      const byWorker = perWorker(results)
      t.diagnostic(
        `assignment ${JSON.stringify(group.members)}; results per worker ${JSON.stringify(byWorker)}; ` +
          `${TASKS} tasks in ${seconds.toFixed(1)} s from submit (${Math.round(TASKS / seconds)} tasks/s), ` +
          `stopped in ${stops.map((s) => Math.round(s.ms)).join('/')} ms`,
      )
      for (const id of WORKERS) assert.ok((byWorker[id] ?? 0) > 0, `${id} produced no results`)

      const ids = Array.from({ length: TASKS }, (_, i) => `load-${i}`)
      const notOnce = ids.filter((id) => board.tasks.get(id)?.succeededAt.length !== 1)
      assert.deepEqual(
        notOnce.slice(0, 5),
        [],
        `${notOnce.length} tasks without exactly one success`,
      )
      assert.equal(board.failed, 0, 'no failed status')
      assert.equal(board.tasks.size, TASKS, 'no status of an unknown task')
      const resultsPerTask = new Map<string, number>()
      for (const r of results)
        resultsPerTask.set(r.task_id, (resultsPerTask.get(r.task_id) ?? 0) + 1)
      const resultNotOnce = ids.filter((id) => resultsPerTask.get(id) !== 1)
      assert.deepEqual(
        resultNotOnce.slice(0, 5),
        [],
        `${resultNotOnce.length} tasks without one result`,
      )
      assert.equal(results.length, TASKS)

      const stored = await storedIds(cluster.ws.lancedbPath, COLLECTION)
      assert.equal(stored.count, TASKS)
      const distinct = new Set(stored.ids)
      assert.equal(distinct.size, TASKS, `${stored.ids.length - distinct.size} duplicate ids`)
      const missing = results.flatMap((r) => r.ids).filter((id) => !distinct.has(id))
      assert.deepEqual(missing.slice(0, 5), [], `${missing.length} reported vector ids not stored`)
    })
  },
)
