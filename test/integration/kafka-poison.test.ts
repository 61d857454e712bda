/**
 * Acceptance 4 of issue 3, poison messages: lines that are not JSON, that break the schema (no
 * task_id, an unknown type, an empty text), that name an unknown model, and bytes that are not
 * UTF-8 are mixed into 1,000 healthy tasks on one 3-partition topic (`vectorize submit --raw`, and
 * a producer for the bytes no text file can hold). A `vectorize worker` dead-letters each with its
 * original bytes and the headers that say what was wrong and where it came from, reports it
 * `failed`, and moves on: the healthy tasks all succeed and the group's commits reach the end of
 * every partition.
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { silentLogger } from '../../src/observability/logger.ts'
import { deadLetterHeaders as h } from '../../src/reporters/kafka.ts'
import { KafkaPublisher } from '../../src/sources/kafka.ts'
import { describeRun } from '../helpers/cli.ts'
import { readToEnd, skipKafka, type ReadRecord } from '../helpers/kafka.ts'
import { kafkaCluster, StatusBoard, textTasks } from '../helpers/kafka-cli.ts'
import { skipUnless } from '../helpers/skip.ts'

const HEALTHY = 1_000
const COLLECTION = 'poison'
const WORKER = 'w-poison'

interface Poison {
  readonly bytes: Buffer
  readonly code: string
  /** The task id a reader can find in it; else the worker names it topic:partition:offset. */
  readonly taskId?: string
}

/** Three of each kind, each one distinct so it can be found on the topics. */
function poisonLines(): Poison[] {
  const json = (value: unknown) => Buffer.from(JSON.stringify(value))
  return [0, 1, 2].flatMap((k) => [
    { bytes: Buffer.from(`this is not JSON #${k}`), code: 'invalid_json' },
    {
      bytes: Buffer.from(`{"task_id":"p-cut-${k}","type":"text","text":"cut off`),
      code: 'invalid_json',
    },
    { bytes: json({ version: 1, type: 'text', text: `no task id ${k}` }), code: 'invalid_task' },
    {
      bytes: json({ version: 1, task_id: `p-type-${k}`, type: 'audio', text: 'unknown type' }),
      code: 'invalid_task',
      taskId: `p-type-${k}`,
    },
    {
      bytes: json({ version: 1, task_id: `p-empty-${k}`, type: 'text', text: '' }),
      code: 'empty_text',
      taskId: `p-empty-${k}`,
    },
    {
      bytes: json({
        version: 1,
        task_id: `p-model-${k}`,
        type: 'text',
        text: 'a text for a model that is not there',
        model: 'vectorize-test/no-such-model',
      }),
      code: 'unknown_model',
      taskId: `p-model-${k}`,
    },
  ])
}

describe(
  'vectorize worker on Kafka (poison messages)',
  { skip: skipUnless(skipKafka), timeout: 240_000 },
  () => {
    it('should dead-letter every poison message with its headers and a failed status, and keep the partitions moving', async (t) => {
      const cluster = await kafkaCluster(t, { partitions: 3 })
      const { topics } = cluster.settings
      const poison = poisonLines()
      const healthy = textTasks(HEALTHY, 'healthy', COLLECTION)
      // Poison spread through the stream: one after every 50 healthy lines or so.
      const lines = [...healthy]
      poison.forEach((p, i) => lines.splice((i + 1) * 55, 0, p.bytes.toString()))
      await cluster.submit(lines, { raw: true })
      const notUtf8: Poison = { bytes: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), code: 'invalid_json' }
      const publisher = await KafkaPublisher.create(
        { kafka: cluster.settings },
        { logger: silentLogger },
      )
      await publisher.publish([notUtf8.bytes], { signal: AbortSignal.timeout(30_000) })
      await publisher.close()
      poison.push(notUtf8)

      const worker = cluster.worker(WORKER)
      const { board } = cluster
      await cluster.waitFor(
        () =>
          `${HEALTHY} tasks to succeed and ${poison.length} to fail (${board.succeeded}, ${board.failed})`,
        () => board.succeeded >= HEALTHY && board.failed >= poison.length,
        120_000,
      )
      await cluster.group.waitForCommitsAtEnd(30_000)
      const { result } = await worker.stop(30_000)
      assert.equal(result.code, 0, describeRun(['worker'], result))

      const origin = await readToEnd(topics.tasks)
      const letters = await readToEnd(topics.dlq)
      const final = StatusBoard.of(await readToEnd(topics.status))
      assert.equal(letters.length, poison.length, 'one dead letter per poison message')
      for (const p of poison) {
        const at = find(origin, p.bytes, topics.tasks)
        const taskId = p.taskId ?? `${topics.tasks}:${at.partition}:${at.offset}`
        assert.equal(at.key, p.taskId, 'submit keyed the message by its task id, where it had one')
        const letter = find(letters, p.bytes, topics.dlq)
        const what = `dead letter of ${JSON.stringify(p.bytes.toString())}`
        assert.ok(letter.headers[h.errorReason], `${what}: a reason`)
        assert.deepEqual(
          { ...letter.headers, [h.errorReason]: '' },
          {
            [h.errorClass]: 'data',
            [h.errorCode]: p.code,
            [h.errorReason]: '',
            [h.originTopic]: topics.tasks,
            [h.originPartition]: String(at.partition),
            [h.originOffset]: String(at.offset),
            // `submit` keys a message by its task_id where it can read one
            ...(at.key !== undefined && { [h.originKey]: at.key }),
            [h.attempts]: '1',
            [h.workerId]: WORKER,
            [h.taskId]: taskId,
          },
          what,
        )
        const failed = final.tasks.get(taskId)?.failed ?? []
        assert.deepEqual(
          failed.map((s) => [s.error?.code, s.worker_id]),
          [[p.code, WORKER]],
          `failed status of ${taskId}`,
        )
      }
      const notSucceeded = healthy.filter(
        (_, i) => final.tasks.get(`healthy-${i}`)?.succeededAt.length !== 1,
      )
      assert.deepEqual(
        notSucceeded.slice(0, 3),
        [],
        `${notSucceeded.length} healthy tasks not succeeded once`,
      )
      assert.equal(final.failed, poison.length, 'only the poison failed')
      const committed = await cluster.group.committed()
      t.diagnostic(
        `${poison.length} poison messages dead-lettered (${[...new Set(poison.map((p) => p.code))].join(', ')}), ` +
          `${HEALTHY} healthy succeeded; committed ${JSON.stringify(Object.fromEntries(committed))}`,
      )
    })
  },
)

/** The one record whose value is exactly `bytes`. */
function find(records: readonly ReadRecord[], bytes: Buffer, topic: string): ReadRecord {
  const found = records.filter((r) => r.value.equals(bytes))
  assert.equal(found.length, 1, `${JSON.stringify(bytes.toString())} once on ${topic}`)
  return found[0]!
}
