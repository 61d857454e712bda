/**
 * KafkaReporter against the real broker: status, result and dead-letter records land on their
 * topics with the right keys, values and headers, read back by a plain consumer.
 */
import * as assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import { silentLogger } from '../../src/observability/logger.ts'
import type { ResultMessage, StatusMessage } from '../../src/protocol/report.ts'
import { allTopics } from '../../src/kafka/admin.ts'
import type { KafkaSettings } from '../../src/kafka/client.ts'
import { kafkaError } from '../../src/kafka/errors.ts'
import type { DeadLetter } from '../../src/reporters/reporter.ts'
import { deadLetterHeaders as h, KafkaReporter } from '../../src/reporters/kafka.ts'
import { maxHeaderValueBytes } from '../../src/reporters/kafka-dead-letter.ts'
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
import { captureLogs } from '../helpers/logs.ts'
import { skipUnless } from '../helpers/skip.ts'

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

describe('KafkaReporter', { skip: skipUnless(skipKafka), timeout: 60_000 }, () => {
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

  it('KafkaReporter should keep the original key and cap long header values', async (t) => {
    const settings = kafkaSettings()
    await createTopics(t, allTopics(settings), 1)
    const reporter = await openReporter(t, settings)
    const reason = `a reason that quotes its input: ${'é'.repeat(40_000)}`
    const key = Buffer.from('the-original-key')
    const error = { ...letter.error, message: reason }
    await reporter.deadLetter({ ...letter, key, error }, opts())

    const [record] = await readTopic(settings.topics.dlq, 1)
    assert.ok(record)
    assert.equal(record.headers['x-origin-key'], 'the-original-key')
    const capped = record.headers['x-error-reason'] ?? ''
    assert.ok(Buffer.byteLength(capped) <= maxHeaderValueBytes, `${capped.length} chars`)
    assert.ok(capped.endsWith('é…'), 'cut on a character boundary, marked')
    assert.deepEqual([...record.value], [...letter.value], 'the payload is whole')
    assert.equal(record.headers['x-payload-truncated'], undefined)
  })

  it('KafkaReporter should send a dead letter without its payload when the topic refuses it', async (t) => {
    const settings = kafkaSettings()
    await createTopics(t, allTopics(settings), 1, {
      [settings.topics.dlq]: { 'max.message.bytes': String(64 * 1024) },
    })
    const reporter = await openReporter(t, settings)
    const value = Buffer.alloc(200_000, 0x61) // under kafka.max_message_bytes, over the topic's
    await reporter.deadLetter({ ...letter, value }, opts())

    const [record] = await readTopic(settings.topics.dlq, 1)
    assert.ok(record)
    assert.equal(record.value.length, 0, 'no payload')
    assert.deepEqual(
      [
        record.headers['x-payload-truncated'],
        record.headers['x-payload-bytes'],
        record.headers['x-payload-sha256'],
        record.headers['x-error-code'],
      ],
      ['true', '200000', createHash('sha256').update(value).digest('hex'), 'invalid_json'],
    )
  })

  it('KafkaReporter should refuse a result record over the limit as record_too_large', async (t) => {
    const settings = { ...kafkaSettings(), max_message_bytes: 20_000 }
    await createTopics(t, allTopics(settings), 1)
    const reporter = await openReporter(t, settings)
    const ids = Array.from({ length: 2_000 }, (_, i) => `vector-id-${i}`) // ~30 KB
    await assert.rejects(reporter.result({ ...result, ids }, opts()), (err) => {
      assert.ok(err instanceof VectorizeError)
      assert.deepEqual([err.code, err.retriable], ['record_too_large', false])
      assert.match(err.message, /result record of task t-1 .*kafka\.max_message_bytes \(20000\)/)
      return true
    })
  })

  it('KafkaReporter should warn at start-up, naming both settings, when the topic limits and kafka.max_message_bytes disagree', async (t) => {
    const settings = kafkaSettings()
    await createTopics(t, allTopics(settings), 1, {
      [settings.topics.tasks]: { 'max.message.bytes': String(4 * 1024 * 1024) },
      [settings.topics.dlq]: { 'max.message.bytes': String(64 * 1024) },
    })
    const logs = captureLogs()
    const reporter = await KafkaReporter.create({ kafka: settings }, { logger: logs.logger })
    t.after(() => reporter.close())
    const warned = logs.warnings().map((l) => [l.topic, l.msg] as const)
    const about = (topic: string) => warned.filter(([at]) => at === topic).map(([, msg]) => msg)
    assert.equal(about(settings.topics.tasks).length, 1, JSON.stringify(warned))
    assert.match(about(settings.topics.tasks)[0]!, /4194304.*kafka\.max_message_bytes \(1000000\)/)
    assert.equal(about(settings.topics.dlq).length, 1, JSON.stringify(warned))
    assert.match(about(settings.topics.dlq)[0]!, /65536 bytes \(max\.message\.bytes\)/)
    assert.deepEqual(about(settings.topics.status), [], 'the default limit is fine')
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

describe('KafkaReporter contract', { skip: skipUnless(skipKafka) }, () => {
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
      { code: -1, fatal: true, message: 'fenced' },
      { errors: [{ code: 36 }, { code: 38, message: 'bad replication factor' }] },
    ]) {
      const translated = translate(err)
      assert.equal(translated.retriable, false, JSON.stringify(err))
      assert.equal(translated.code, 'reporter_refused')
    }
    assert.match(translate({ errors: [{ code: 38, message: 'bad rf' }] }).message, /bad rf/)
  })

  it('kafkaError should make a record refused for its size record_too_large, not an outage', () => {
    for (const code of [10, 18]) {
      const translated = translate({ code, message: 'Broker: Message size too large' })
      assert.deepEqual([translated.code, translated.retriable], ['record_too_large', false])
    }
  })

  it('kafkaError should keep a VectorizeError as it is', () => {
    const original = new VectorizeError('config_invalid', 'no topic')
    assert.equal(translate(original), original)
  })
})
