/**
 * `vectorize dlq` on Kafka, with a real worker process on the real broker: a task for a missing
 * model is dead-lettered with its headers; once the model is in models.dir, `dlq replay` puts the
 * original bytes back on the tasks topic (keyed by the task id, `x-replays: 1`), the worker ends it
 * `succeeded`, exactly one vector is stored, and the letter shows as replayed by whom.
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ActionResultView, LetterPageView } from '../../src/dashboard/api-types.ts'
import { describeRun } from '../helpers/cli.ts'
import { readToEnd, skipKafka } from '../helpers/kafka.ts'
import { kafkaCluster, storedIds, textTasks } from '../helpers/kafka-cli.ts'
import { LATE_COLLECTION, lateTask, modelsDir } from '../helpers/late-model.ts'

describe('vectorize dlq on Kafka', { skip: skipKafka, timeout: 300_000 }, () => {
  it('should replay a dead letter after its cause is fixed: succeeded, one set of vectors', async (t) => {
    const cluster = await kafkaCluster(t, { partitions: 3 })
    const models = await modelsDir(cluster.ws.dir)
    const env = { ...cluster.env, ...models.env }
    const { topics } = cluster.settings
    await cluster.submit([...textTasks(20, 'fine', 'fine'), lateTask('late-k1')])
    const worker = cluster.worker('w-dlq', models.env)
    const { board } = cluster
    await cluster.waitFor(
      () => `20 tasks to succeed and 1 to fail (${board.succeeded}, ${board.failed})`,
      () => board.succeeded >= 20 && board.failed >= 1,
      120_000,
    )
    const list = await cluster.ws.json<LetterPageView>(['dlq', 'list'], { env })
    assert.equal(list.letters.length, 1)
    const letter = list.letters[0]!
    assert.equal(letter.task_id, 'late-k1')
    assert.equal(letter.error.code, 'unknown_model')
    assert.equal(letter.headers['x-origin-topic'], topics.tasks)
    assert.equal(letter.headers['x-worker-id'], 'w-dlq')

    await models.addLateModel()
    const replayed = await cluster.ws.json<ActionResultView>(['dlq', 'replay', letter.id], { env })
    assert.deepEqual(replayed.done, [letter.id])
    await cluster.waitFor(
      () => 'the replayed task to succeed',
      () => (board.tasks.get('late-k1')?.succeededAt.length ?? 0) >= 1,
      120_000,
    )
    await cluster.group.waitForCommitsAtEnd(60_000)
    const { result } = await worker.stop(30_000)
    assert.equal(result.code, 0, describeRun(['worker'], result))

    assert.equal((await storedIds(cluster.ws.lancedbPath, LATE_COLLECTION)).count, 1)
    const put = (await readToEnd(topics.tasks)).filter((r) => r.headers['x-replays'] !== undefined)
    assert.deepEqual(
      put.map((r) => [r.key, r.headers['x-replays'], r.headers['x-replayed-from']]),
      [['late-k1', '1', `${topics.dlq}:${letter.id}`]],
    )
    const after = await cluster.ws.json<LetterPageView>(['dlq', 'list', '--state', 'all'], { env })
    assert.deepEqual(
      after.letters.map((l) => l.state),
      ['replayed'],
    )
    assert.match(after.letters[0]!.handled?.by ?? '', /^cli /)
  })
})
