/**
 * KafkaReporter against the real broker: status, result and dead-letter records land on their
 * topics with the right keys, values and headers, read back by a plain consumer.
 */
import * as assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import { silentLogger } from '../../src/observability/logger.ts'
import type { ResultMessage, StatusMessage } from '../../src/protocol/report.ts'
import { allTopics } from '../../src/kafka/admin.ts'
import type { KafkaSettings } from '../../src/kafka/client.ts'
import { kafkaError } from '../../src/kafka/errors.ts'
import type { DeadLetter } from '../../src/reporters/reporter.ts'
import { deadLetterHeaders as h, KafkaReporter } from '../../src/reporters/kafka.ts'
import { VectorizeError } from '../../src/worker/errors.ts'
import {
  createTopics,
  dropTopicsAfter,
  kafkaSettings,
  readTopic,
  skipKafka,
  type ReadRecord,
} from '../helpers/kafka.ts'
import { reporterContract, type Written } from '../reporters/contract.ts'

const deps = { logger: silentLogger }
const opts = () => ({ signal: AbortSignal.timeout(30_000) })

async function openReporter(t: TestContext, settings: KafkaSettings) {
  const reporter = await KafkaReporter.create({ kafka: settings }, deps)
  t.after(() => reporter.close())
  return reporter
}

const status = (taskId: string, state: StatusMessage['state']): StatusMessage => ({
  task_id: taskId,
  state,
  worker_id: 'w-1',
  at: new Date().toISOString(),
})

const result: ResultMessage = {
  task_id: 't-1',
  collection: 'docs',
  model: 'tiny-bert',
  dimensions: 32,
  ids: ['a', 'b'],
  counts: { items: 2, vectors: 2, tokens: 10, truncated: 0 },
  truncated: [],
  timings_ms: { queue: 1, inference: 2, store: 3, total: 6 },
  worker_id: 'w-1',
}

const letter: DeadLetter = {
  value: Uint8Array.from([0xff, 0x00, 0x7b, 0x0a]), // not UTF-8: must come back byte for byte
  taskId: 'tasks:3:17',
  error: { code: 'invalid_json', message: 'message is not valid UTF-8', class: 'data' },
  origin: { topic: 'vectorize.tasks', partition: 3, offset: 17 },
  attempts: 2,
  workerId: 'w-1',
}

describe('KafkaReporter', { skip: skipKafka, timeout: 60_000 }, () => {
  it('KafkaReporter should write status and result records keyed by task_id', async (t) => {
    const settings = kafkaSettings()
    await createTopics(t, allTopics(settings), 3)
    const reporter = await openReporter(t, settings)
    const states = ['queued', 'started', 'succeeded'] as const
    for (const state of states) await reporter.status(status('t-1', state), opts())
    await reporter.status(status('t-2', 'failed'), opts())
    await reporter.result(result, opts())

    const records = await readTopic(settings.topics.status, 4)
    const t1 = records.filter((r) => r.key === 't-1')
    assert.equal(new Set(t1.map((r) => r.partition)).size, 1, 'one task, one partition')
    assert.deepEqual(
      t1.map((r) => (JSON.parse(r.value.toString()) as StatusMessage).state),
      states,
      'in order',
    )
    assert.equal(records.filter((r) => r.key === 't-2').length, 1)
    const [written] = await readTopic(settings.topics.results, 1)
    assert.ok(written)
    assert.equal(written.key, 't-1')
    assert.deepEqual(JSON.parse(written.value.toString()), result)
  })

  it('KafkaReporter should dead-letter the original bytes with headers naming the error and origin', async (t) => {
    const settings = kafkaSettings()
    await createTopics(t, allTopics(settings), 1)
    const reporter = await openReporter(t, settings)
    await reporter.deadLetter(letter, opts())

    const [record] = await readTopic(settings.topics.dlq, 1)
    assert.ok(record)
    assert.deepEqual([...record.value], [...letter.value])
    assert.equal(record.key, 'tasks:3:17')
    assert.deepEqual(record.headers, {
      'x-error-class': 'data',
      'x-error-code': 'invalid_json',
      'x-error-reason': 'message is not valid UTF-8',
      'x-origin-topic': 'vectorize.tasks',
      'x-origin-partition': '3',
      'x-origin-offset': '17',
      'x-attempts': '2',
      'x-worker-id': 'w-1',
      'x-task-id': 'tasks:3:17',
    })
  })

  it('KafkaReporter should create its topics when kafka.create_topics is set', async (t) => {
    const settings = { ...kafkaSettings(), create_topics: true, partitions: 2 }
    dropTopicsAfter(t, allTopics(settings))
    const reporter = await openReporter(t, settings)
    await reporter.status(status('t-9', 'queued'), opts())
    const [record] = await readTopic(settings.topics.status, 1)
    assert.equal(record?.key, 't-9')
  })

  it('KafkaReporter should reject an aborted send with the abort reason', async (t) => {
    const settings = kafkaSettings()
    await createTopics(t, allTopics(settings), 1)
    const reporter = await openReporter(t, settings)
    await assert.rejects(
      reporter.status(status('t-3', 'queued'), { signal: AbortSignal.abort() }),
      (err) => err instanceof Error && err.name === 'AbortError',
    )
  })
})

/** A dead letter as a plain consumer of the DLQ topic sees it: its bytes and headers. */
function fromRecord(record: ReadRecord): DeadLetter {
  const header = record.headers
  return {
    value: new Uint8Array(record.value ?? Buffer.alloc(0)),
    taskId: header[h.taskId]!,
    error: {
      code: header[h.errorCode] as DeadLetter['error']['code'],
      message: header[h.errorReason]!,
      class: header[h.errorClass] as DeadLetter['error']['class'],
    },
    origin: {
      topic: header[h.originTopic]!,
      partition: Number(header[h.originPartition]),
      offset: Number(header[h.originOffset]),
    },
    attempts: Number(header[h.attempts]),
    workerId: header[h.workerId]!,
  }
}

describe('KafkaReporter contract', { skip: skipKafka }, () => {
  reporterContract(
    'KafkaReporter',
    async (t) => {
      const settings = kafkaSettings()
      await createTopics(t, allTopics(settings), 2)
      const reporter = await openReporter(t, settings)
      const read = async (n: { statuses: number; results: number; deadLetters: number }) => {
        const topic = async (name: string, count: number) =>
          count === 0 ? [] : await readTopic(name, count)
        const parse = <T>(r: ReadRecord) => JSON.parse(r.value.toString()) as T
        const written: Written = {
          statuses: (await topic(settings.topics.status, n.statuses)).map(parse<StatusMessage>),
          results: (await topic(settings.topics.results, n.results)).map(parse<ResultMessage>),
          deadLetters: (await topic(settings.topics.dlq, n.deadLetters)).map(fromRecord),
        }
        return written
      }
      return { reporter, read }
    },
    { timeoutMs: 60_000 },
  )
})

describe('Kafka error translation', () => {
  const translate = (err: unknown) => kafkaError(err, 'reporter_unavailable', 'cannot produce')

  it('kafkaError should make broker, network and timeout errors retriable', () => {
    for (const code of [-195, -187, -185, -192, 6, 7]) {
      const err = translate({ code, message: 'broker trouble' })
      assert.equal(err.code, 'reporter_unavailable')
      assert.equal(err.retriable, true, String(code))
      assert.match(err.message, /^cannot produce: broker trouble/)
    }
  })

  it('kafkaError should make configuration, authorisation and fatal errors permanent', () => {
    for (const err of [
      { code: 29, message: 'topic authorization failed' },
      { code: -169, message: 'authentication' },
      { code: 10, message: 'message too large' },
      { code: -1, fatal: true, message: 'fenced' },
      { errors: [{ code: 36 }, { code: 38, message: 'bad replication factor' }] },
    ]) {
      const translated = translate(err)
      assert.equal(translated.retriable, false, JSON.stringify(err))
      assert.equal(translated.code, 'reporter_refused')
    }
    assert.match(translate({ errors: [{ code: 38, message: 'bad rf' }] }).message, /bad rf/)
  })

  it('kafkaError should keep a VectorizeError as it is', () => {
    const original = new VectorizeError('config_invalid', 'no topic')
    assert.equal(translate(original), original)
  })
})
