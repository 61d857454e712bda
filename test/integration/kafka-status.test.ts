/**
 * Issue 10: `vectorize status` in Kafka mode reads the status topic (and the results topic for a
 * succeeded task's result), within `--timeout`, and says what it scanned.
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TaskRecord } from '../../src/reporters/reporter.ts'
import { describeRun } from '../helpers/cli.ts'
import { skipKafka } from '../helpers/kafka.ts'
import { kafkaCluster } from '../helpers/kafka-cli.ts'
import { skipUnless } from '../helpers/skip.ts'

interface Scanned {
  readonly topic: string
  readonly records: number
  readonly total: number
  readonly complete: boolean
}

type StatusJson = TaskRecord & { scanned: Scanned[] }

const task = (id: string, text: string) =>
  JSON.stringify({ version: 1, task_id: id, type: 'text', collection: 'status', text })

describe('vectorize status on Kafka', { skip: skipUnless(skipKafka), timeout: 180_000 }, () => {
  it('should answer a task state, its result and counts per state from the topics, saying what it read', async (t) => {
    const cluster = await kafkaCluster(t, { partitions: 3 })
    const { topics } = cluster.settings
    await cluster.submit([task('st-ok-1', 'one'), task('st-ok-2', 'two'), task('st-bad', '')], {
      raw: true,
    })
    const worker = cluster.worker('w-status')
    const { board } = cluster
    await cluster.waitFor(
      () => `2 tasks to succeed and 1 to fail (${board.succeeded}, ${board.failed})`,
      () => board.succeeded >= 2 && board.failed >= 1,
      120_000,
    )
    const { result: stopped } = await worker.stop(30_000)
    assert.equal(stopped.code, 0, describeRun(['worker'], stopped))

    const run = async (args: string[], code = 0) => {
      const result = await cluster.ws.run(args, { env: cluster.env, timeoutMs: 90_000 })
      assert.equal(result.code, code, describeRun(args, result))
      return result
    }
    const ok = JSON.parse((await run(['--json', 'status', 'st-ok-1'])).stdout) as StatusJson
    assert.deepEqual(
      [ok.state, ok.attempts, ok.worker_id, ok.result?.task_id, ok.result?.counts.vectors],
      ['succeeded', 1, 'w-status', 'st-ok-1', 1],
    )
    assert.deepEqual(
      ok.scanned.map((s) => [s.topic, s.complete, s.records === s.total]),
      [
        [topics.status, true, true],
        [topics.results, true, true],
      ],
    )

    const bad = JSON.parse((await run(['--json', 'status', 'st-bad'])).stdout) as StatusJson
    assert.deepEqual([bad.state, bad.error?.code], ['failed', 'empty_text'])

    const counts = JSON.parse((await run(['--json', 'status'])).stdout) as Record<string, unknown>
    assert.deepEqual(
      { succeeded: counts.succeeded, failed: counts.failed, started: counts.started },
      { succeeded: 2, failed: 1, started: 0 },
    )

    const text = await run(['status', 'st-ok-2'])
    assert.match(text.stdout, /state\s+succeeded/)
    assert.match(text.stdout, new RegExp(`scanned\\s+topic ${topics.status}: \\d+/\\d+ records`))

    const missing = await run(['status', 'no-such-task'], 3)
    assert.match(missing.stderr, /no task "no-such-task" scanned/)
    assert.match(missing.stderr, /to its end/)

    // a deadline already passed: nothing read, and it says the answer is partial
    const rushed = await run(['status', '--timeout', '1', 'st-ok-1'], 3)
    assert.match(rushed.stderr, /stopped at --timeout: the answer is partial/)
  })
})
