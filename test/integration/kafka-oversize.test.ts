/**
 * Issue 10, defect 1: a task message bigger than the worker's own producer may send. The tasks
 * topic allows 4 MiB; another team's producer (kcat) puts a 2 MB `text` task among 300 good ones.
 * The task is refused for its size (`input_too_large`), and its dead letter cannot carry the
 * original 2 MB (the worker's producer sends at most `kafka.max_message_bytes`, 1,000,000 by
 * default, and the dead-letter topic keeps the broker's ~1 MB default): it is written truncated,
 * with headers that say so. Before the fix the worker's producer refused the dead letter, the
 * worker stopped with exit 1 without committing, and every next owner died on it the same way.
 * Here both worker processes stay up, the big task ends `failed`, the 300 good tasks succeed
 * exactly once, and the group's commits reach the end of every partition.
 */
import * as assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { describeRun } from '../helpers/cli.ts'
import { endOffsets, kafkaBrokers, readToEnd, skipKafka } from '../helpers/kafka.ts'
import { kafkaCluster, StatusBoard, textTasks } from '../helpers/kafka-cli.ts'
import { kcatProduce, skipKcat } from '../helpers/kcat.ts'
import { skipUnless } from '../helpers/skip.ts'

const GOOD = 300
const COLLECTION = 'oversize'
const BIG_ID = 'oversize-big'
const BIG_KEY = 'a-key-from-another-producer'
const FOUR_MIB = 4 * 1024 * 1024

interface Rejected {
  readonly line: number
  readonly code: string
  readonly message: string
}

/** A valid-looking `text` task of about `bytes` bytes (its text is far over max_text_bytes). */
function bigTask(bytes: number): Buffer {
  const head = { version: 1, task_id: BIG_ID, type: 'text', collection: COLLECTION }
  const text = 'lorem ipsum '.repeat(Math.ceil(bytes / 12)).slice(0, bytes)
  return Buffer.from(JSON.stringify({ ...head, text }))
}

describe(
  'vectorize worker on Kafka (a task bigger than the producer limit)',
  { skip: skipUnless(skipKafka, skipKcat), timeout: 300_000 },
  () => {
    it('should fail the big task alone, dead-letter it truncated with headers saying so, and keep both workers and the partitions moving', async (t) => {
      const cluster = await kafkaCluster(t, {
        partitions: 3,
        topicConfigs: { tasks: { 'max.message.bytes': String(FOUR_MIB) } },
      })
      const { topics } = cluster.settings
      const workers = [cluster.worker('w-big-1'), cluster.worker('w-big-2')]
      await cluster.group.waitForMembers(2, 60_000)

      const good = textTasks(GOOD, 'oversize-good', COLLECTION)
      await cluster.submit(good.slice(0, GOOD / 2))
      const big = bigTask(2_000_000)
      await kcatProduce(kafkaBrokers[0]!, topics.tasks, {
        value: big,
        key: BIG_KEY,
        maxMessageBytes: FOUR_MIB,
      })
      await cluster.submit(good.slice(GOOD / 2))

      const { board } = cluster
      await cluster.waitFor(
        () => `${GOOD} tasks to succeed and 1 to fail (${board.succeeded}, ${board.failed})`,
        () => board.succeeded >= GOOD && board.failed >= 1,
        180_000,
      )
      // `waitFor` failed at once had a worker exited; the commits must now reach every end.
      await cluster.group.waitForCommitsAtEnd(60_000)
      assert.equal(await cluster.group.lag(), 0, 'lag 0')
      for (const w of workers) assert.equal(w.result, undefined, `${w.id} still running`)
      const stops = await Promise.all(workers.map((w) => w.stop(30_000)))
      for (const { result } of stops) assert.equal(result.code, 0, describeRun(['worker'], result))

      const final = StatusBoard.of(await readToEnd(topics.status))
      const failed = final.tasks.get(BIG_ID)?.failed ?? []
      assert.deepEqual(
        failed.map((s) => s.error?.code),
        ['input_too_large'],
        'the big task failed once, with its code',
      )
      assert.equal(final.failed, 1, 'only the big task failed')
      const ids = good.map((line) => (JSON.parse(line) as { task_id: string }).task_id)
      const notOnce = ids.filter((id) => final.tasks.get(id)?.succeededAt.length !== 1)
      assert.deepEqual(notOnce.slice(0, 5), [], `${notOnce.length} good tasks not succeeded once`)

      const letters = await readToEnd(topics.dlq)
      assert.equal(letters.length, 1, 'one dead letter')
      const letter = letters[0]!
      const sha256 = createHash('sha256').update(big).digest('hex')
      assert.deepEqual(
        {
          code: letter.headers['x-error-code'],
          task: letter.headers['x-task-id'],
          key: letter.headers['x-origin-key'],
          truncated: letter.headers['x-payload-truncated'],
          bytes: letter.headers['x-payload-bytes'],
          sha256: letter.headers['x-payload-sha256'],
        },
        {
          code: 'input_too_large',
          task: BIG_ID,
          key: BIG_KEY,
          truncated: 'true',
          bytes: String(big.length),
          sha256,
        },
        'the dead letter says what it is and that its payload was cut',
      )
      assert.ok(letter.value.length < big.length, 'the payload is shorter than the original')
      assert.ok(letter.value.length > 0, 'a truncated payload, not none: it fits the default topic')
      assert.ok(big.subarray(0, letter.value.length).equals(letter.value), 'a prefix of the task')
      t.diagnostic(
        `big task ${big.length} B dead-lettered as ${letter.value.length} B; ` +
          `${GOOD} good tasks succeeded once over ${workers.length} workers`,
      )
    })

    it('vectorize submit should refuse a line over kafka.max_message_bytes before sending any', async (t) => {
      const cluster = await kafkaCluster(t, { partitions: 1 })
      const file = join(cluster.ws.dir, 'big.jsonl')
      const lines = [...textTasks(2, 'fits', COLLECTION), bigTask(30_000).toString()]
      await writeFile(file, `${lines.join('\n')}\n`)
      const env = { ...cluster.env, VECTORIZE_WORKER_KAFKA_MAX_MESSAGE_BYTES: '20000' }
      const result = await cluster.ws.run(['--json', 'submit', file], { env })
      assert.equal(result.code, 65, describeRun(['submit', file], result))
      const report = JSON.parse(result.stdout) as { submitted: number; rejected: Rejected[] }
      assert.deepEqual(
        [report.submitted, report.rejected.map((r) => [r.line, r.code])],
        [0, [[3, 'record_too_large']]],
      )
      assert.match(report.rejected[0]?.message ?? '', /kafka\.max_message_bytes/)
      const ends = await endOffsets(cluster.settings.topics.tasks)
      assert.deepEqual(
        [...ends.values()].map((e) => e.high),
        [0],
        'nothing sent',
      )
    })
  },
)
