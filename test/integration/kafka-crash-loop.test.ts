/**
 * Issue 3, crash loops: one task in 600 kills the worker process as it starts (SIGKILL from a test
 * double put into the CLI, doubles.ts, as a native crash or an OOM kill in inference would). A
 * supervisor restarts the worker after every death, as an orchestrator would. The worker must not
 * crash-loop forever: after `processing.max_crashes` (3) deaths charged to that message it is
 * dead-lettered with `crash_loop`, and every healthy task succeeds exactly once.
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { deadLetterHeaders as h } from '../../src/reporters/kafka.ts'
import { describeRun, type CliResult } from '../helpers/cli.ts'
import { readToEnd, skipKafka } from '../helpers/kafka.ts'
import { kafkaCluster, StatusBoard, storedIds, textTasks } from '../helpers/kafka-cli.ts'
import type { CliWorker } from '../helpers/kafka-cli.ts'
import { waitUntil } from '../helpers/wait.ts'
import { skipUnless } from '../helpers/skip.ts'

const HEALTHY = 600
const COLLECTION = 'crash_loop'
const POISON_ID = 'loop-poison-crash'
const MAX_CRASHES = 3
/** Deaths the guard may not charge to the poison: a bound, so the test cannot loop forever. */
const MAX_RESTARTS = 12

describe(
  'vectorize worker on Kafka (crash loop)',
  { skip: skipUnless(skipKafka), timeout: 300_000 },
  () => {
    it('should dead-letter a message that kills the worker after max_crashes deaths and process everything else once', async (t) => {
      const cluster = await kafkaCluster(t, { partitions: 3 })
      const { board } = cluster
      const lines = textTasks(HEALTHY, 'loop', COLLECTION)
      const poison = { version: 1, task_id: POISON_ID, type: 'text', text: 'it kills the worker' }
      lines.splice(250, 0, JSON.stringify({ ...poison, collection: COLLECTION }))
      await cluster.submit(lines)

      const doubles = { crashOnTask: POISON_ID }
      const env = {
        VECTORIZE_WORKER_PROCESSING_MAX_CRASHES: String(MAX_CRASHES),
        // Static membership: the restarted worker takes its partitions back without a rebalance.
        VECTORIZE_WORKER_KAFKA_GROUP_INSTANCE_ID: 'w-loop',
      }
      const deaths: number[] = []
      /** What the guard logged in each worker's life, for a failure's message. */
      const logs: string[] = []
      let unexpected: CliResult | undefined
      const t0 = performance.now()
      let worker: CliWorker = startWorker()
      function startWorker(): CliWorker {
        const w = cluster.worker(`w-loop-${deaths.length}`, env, doubles)
        void w.exited.then((result) => {
          logs.push(
            ...result.stderr.split('\n').filter((l) => /died|marker|assigned|crash_loop/.test(l)),
          )
          if (w !== worker) return
          if (result.signal !== 'SIGKILL') unexpected = result
          else if (deaths.length < MAX_RESTARTS) {
            deaths.push(Math.round(performance.now() - t0))
            worker = startWorker()
          }
        })
        return w
      }
      const done = () => board.succeeded >= HEALTHY && board.failed >= 1
      const stuck = async (err: unknown) => {
        const current = worker
        const result = await current.kill()
        const story = logs.map((l) => l.slice(0, 400)).join('\n')
        throw new Error(`${(err as Error).message}; ${describeRun(['worker'], result)}\n${story}`)
      }
      await waitUntil(
        () =>
          `${HEALTHY} tasks to succeed and the poison to fail (${board.succeeded}, ${board.failed}; ` +
          `${deaths.length} deaths)`,
        done,
        {
          timeoutMs: 150_000,
          check: () => {
            assert.ok(deaths.length < MAX_RESTARTS, `${deaths.length} deaths: a loop`)
            if (unexpected) assert.fail(`the worker exited: ${describeRun(['worker'], unexpected)}`)
          },
        },
      ).catch(stuck)
      await cluster.group.waitForCommitsAtEnd(30_000)
      const { result } = await worker.stop(30_000)
      assert.equal(result.code, 0, describeRun(['worker'], result))

      const { topics } = cluster.settings
      const letters = await readToEnd(topics.dlq)
      assert.equal(letters.length, 1, 'one dead letter')
      const letter = letters[0]!
      assert.equal(letter.headers[h.taskId], POISON_ID)
      assert.equal(letter.headers[h.errorCode], 'crash_loop')
      assert.equal(letter.headers[h.errorClass], 'data')
      assert.equal(letter.headers[h.attempts], String(MAX_CRASHES), 'deaths charged to it')
      assert.ok(deaths.length >= MAX_CRASHES, `${deaths.length} deaths before the dead letter`)

      const final = StatusBoard.of(await readToEnd(topics.status))
      const failed = final.tasks.get(POISON_ID)?.failed ?? []
      assert.deepEqual(
        failed.map((s) => s.error?.code),
        ['crash_loop'],
      )
      const notOnce = Array.from({ length: HEALTHY }, (_, i) => `loop-${i}`).filter(
        (id) => (final.tasks.get(id)?.succeededAt.length ?? 0) === 0,
      )
      assert.deepEqual(notOnce.slice(0, 3), [], `${notOnce.length} healthy tasks never succeeded`)
      const stored = await storedIds(cluster.ws.lancedbPath, COLLECTION)
      assert.equal(stored.count, HEALTHY, 'one vector per healthy task')
      assert.equal(new Set(stored.ids).size, HEALTHY, 'no duplicate vectors')

      const again = [...final.tasks.values()].filter((tr) => tr.startedBy.length > 1).length
      t.diagnostic(
        `${deaths.length} deaths at ${deaths.join(', ')} ms; dead letter after ` +
          `${Math.round(performance.now() - t0)} ms in all; ${again} tasks started more than once; ` +
          `careful after: ${careful(logs).join(', ')}`,
      )
    })
  },
)

/** Where each worker life turned careful: partition@offset×crashes, from the guard's warnings. */
function careful(logs: readonly string[]): string[] {
  return logs.flatMap((line) => {
    const m = /"partition":(\d+),"offset":(\d+),"crashes":(\d+)/.exec(line)
    return m ? [`${m[1]}@${m[2]}×${m[3]}`] : []
  })
}
