import * as assert from 'node:assert/strict'
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import { silentLogger } from '../../src/observability/logger.ts'
import type { ResultMessage, StatusMessage } from '../../src/protocol/report.ts'
import type { DeadLetter } from '../../src/reporters/reporter.ts'
import { LocalReporter, statusFileName } from '../../src/reporters/local.ts'
import { readDeadLetters } from '../../src/reporters/local-dlq.ts'
import { reporterContract, type Written } from './contract.ts'

const deps = { logger: silentLogger }
const opts = (): { signal: AbortSignal } => ({ signal: AbortSignal.timeout(30_000) })

/** A fresh reports directory; reporters opened in it are closed, and it is removed, after the test. */
async function tempReports(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-reports-'))
  const opened: LocalReporter[] = []
  t.after(async () => {
    for (const reporter of opened) await reporter.close()
    await rm(dir, { recursive: true, force: true })
  })
  return {
    dir,
    open: async () => {
      const reporter = await LocalReporter.create({ dir }, deps)
      opened.push(reporter)
      return reporter
    },
  }
}

let clock = Date.parse('2025-01-01T00:00:00Z')
function status(
  taskId: string,
  state: StatusMessage['state'],
  extra: Partial<StatusMessage> = {},
): StatusMessage {
  clock += 1000
  return { task_id: taskId, state, worker_id: 'w1', at: new Date(clock).toISOString(), ...extra }
}

function result(taskId: string): ResultMessage {
  return {
    task_id: taskId,
    collection: 'docs',
    model: 'sentence-transformers/all-MiniLM-L6-v2@fp32',
    dimensions: 384,
    ids: ['9f1c1c9e-0000-5000-8000-000000000001', '9f1c1c9e-0000-5000-8000-000000000002'],
    counts: { items: 2, vectors: 2, tokens: 17, truncated: 0 },
    truncated: [],
    timings_ms: { queue: 1, inference: 2, store: 3, total: 6 },
    worker_id: 'w1',
  }
}

function letter(taskId: string, value: Uint8Array): DeadLetter {
  return {
    value,
    taskId,
    error: { code: 'invalid_json', message: 'Unexpected token', class: 'data' },
    origin: { topic: 'local', partition: 0, offset: 7 },
    attempts: 1,
    workerId: 'w1',
  }
}

describe('LocalReporter', () => {
  it('LocalReporter should fold status records into the latest state of a task', async (t) => {
    const reports = await tempReports(t)
    const reporter = await reports.open()
    await reporter.status(status('t1', 'queued'), opts())
    await reporter.status(status('t1', 'started'), opts())
    await reporter.status(status('t1', 'progress', { progress: { done: 1, total: 2 } }), opts())
    await reporter.status(status('t1', 'progress', { progress: { done: 2, total: 2 } }), opts())
    await reporter.result(result('t1'), opts())
    const done = status('t1', 'succeeded', { worker_id: 'w2' })
    await reporter.status(done, opts())

    assert.deepEqual(await reporter.task('t1', opts()), {
      task_id: 't1',
      state: 'succeeded',
      updated_at: done.at,
      worker_id: 'w2',
      attempts: 1,
      progress: { done: 2, total: 2 },
      result: result('t1'),
    })
    assert.equal(await reporter.task('unknown', opts()), undefined)
  })

  it('LocalReporter should count attempts across redeliveries and clear a retried error', async (t) => {
    const reports = await tempReports(t)
    const reporter = await reports.open()
    const error = {
      code: 'store_unavailable' as const,
      message: 'connection refused',
      retriable: true,
    }
    await reporter.status(status('t1', 'started'), opts())
    await reporter.status(status('t1', 'failed', { error }), opts())
    assert.deepEqual((await reporter.task('t1', opts()))?.error, error)

    await reporter.status(status('t1', 'started'), opts())
    await reporter.status(status('t1', 'started'), opts())
    await reporter.status(status('t1', 'succeeded'), opts())
    const record = await reporter.task('t1', opts())
    assert.equal(record?.attempts, 3)
    assert.equal(record?.state, 'succeeded')
    assert.equal(record?.error, undefined)
  })

  it('LocalReporter should not let a late "queued" record hide a later state', async (t) => {
    const reports = await tempReports(t)
    const reporter = await reports.open()
    const queued = status('t1', 'queued')
    await reporter.status(status('t1', 'started'), opts())
    await reporter.status(queued, opts())
    assert.equal((await reporter.task('t1', opts()))?.state, 'started')
  })

  it('LocalReporter should count tasks by their latest state', async (t) => {
    const reports = await tempReports(t)
    const reporter = await reports.open()
    for (const id of ['a', 'b', 'c', 'd']) await reporter.status(status(id, 'queued'), opts())
    for (const id of ['b', 'c', 'd']) await reporter.status(status(id, 'started'), opts())
    await reporter.status(status('c', 'succeeded'), opts())
    await reporter.status(status('d', 'failed'), opts())
    assert.deepEqual(await reporter.counts(opts()), {
      queued: 1,
      started: 1,
      progress: 0,
      succeeded: 1,
      failed: 1,
    })
  })

  it('LocalReporter should see records written by another reporter on the same files', async (t) => {
    const reports = await tempReports(t)
    const writer = await reports.open()
    const reader = await reports.open()
    await writer.status(status('a', 'started'), opts())
    assert.equal((await reader.counts(opts())).started, 1)
    await writer.status(status('a', 'succeeded'), opts())
    await writer.status(status('b', 'started'), opts())
    assert.deepEqual(await reader.counts(opts()), {
      queued: 0,
      started: 1,
      progress: 0,
      succeeded: 1,
      failed: 0,
    })
  })

  it('LocalReporter should keep the original bytes and headers of dead letters', async (t) => {
    const reports = await tempReports(t)
    const reporter = await reports.open()
    const values = [
      Buffer.from('{"task_id":"j","type":"nope"}'),
      Buffer.from('{"task_id": "trunc'),
      Buffer.from('\ufeff{"with":"bom"}'),
      Buffer.from([0xff, 0x00, 0x0a, 0xc3]),
    ]
    await Promise.all(values.map((v, i) => reporter.deadLetter(letter(`t${i}`, v), opts())))
    await reporter.close()

    const reopened = await reports.open()
    const stored = []
    for await (const dead of reopened.deadLetters(opts())) stored.push(dead)
    assert.deepEqual(
      stored.map((d) => Buffer.from(d.value).toString('hex')),
      values.map((v) => v.toString('hex')),
    )
    assert.deepEqual(
      stored.map((d) => d.offset),
      [0, 1, 2, 3],
    )
    const { value, at, offset, ...headers } = stored[0]!
    const { value: original, ...expected } = letter('t0', values[0]!)
    assert.equal(offset, 0)
    assert.deepEqual(Buffer.from(value), Buffer.from(original))
    assert.deepEqual(headers, expected)
    assert.ok(!Number.isNaN(Date.parse(at)))
    // The first line keeps a JSON message readable as JSON.
    const firstLine = (
      await readFile(join(reports.dir, 'dlq-00000000000000000000.log'), 'utf8')
    ).split('\n')[0]!
    assert.deepEqual((JSON.parse(firstLine) as { value: unknown }).value, {
      task_id: 'j',
      type: 'nope',
    })
  })

  it('LocalReporter should keep the original key of a dead letter that had one', async (t) => {
    const reports = await tempReports(t)
    const reporter = await reports.open()
    const key = Buffer.from([0x6b, 0xff, 0x00, 0x31]) // not UTF-8: kept as bytes
    await reporter.deadLetter({ ...letter('k1', Buffer.from('{}')), key }, opts())
    await reporter.deadLetter(letter('k2', Buffer.from('{}')), opts())
    await reporter.close()

    const reopened = await reports.open()
    const stored = []
    for await (const dead of reopened.deadLetters(opts())) stored.push(dead)
    assert.deepEqual(
      stored.map((d) => [d.taskId, d.key && Buffer.from(d.key).toString('hex')]),
      [
        ['k1', key.toString('hex')],
        ['k2', undefined],
      ],
    )
    await reopened.close()
  })

  it('LocalReporter should share fsyncs among 1,000 concurrent status records', async (t) => {
    const reports = await tempReports(t)
    const reporter = await reports.open()
    await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => reporter.status(status(`t${i}`, 'started'), opts())),
    )
    const { records, flushes } = reporter.stats.status
    assert.equal(records, 1_000)
    assert.ok(flushes <= 10, `${flushes} fsyncs for 1,000 records`)
    await reporter.close()

    const reopened = await reports.open()
    assert.equal((await reopened.counts(opts())).started, 1_000)
    assert.equal((await reopened.task('t999', opts()))?.attempts, 1)
  })

  it('LocalReporter should ignore a torn last line and keep appending whole records', async (t) => {
    const reports = await tempReports(t)
    const first = await reports.open()
    await first.status(status('a', 'started'), opts())
    await first.close()
    await appendFile(join(reports.dir, 'status.log'), '{"task_id":"a","status":{"task_id":"a","sta')

    const second = await reports.open()
    assert.equal((await second.task('a', opts()))?.state, 'started')
    await second.status(status('a', 'succeeded'), opts())
    assert.equal((await second.task('a', opts()))?.state, 'succeeded')

    const third = await reports.open()
    assert.equal((await third.task('a', opts()))?.state, 'succeeded')
  })

  it('LocalReporter should cut a record torn by another writer before appending its own', async (t) => {
    const reports = await tempReports(t)
    const worker = await reports.open()
    await worker.status(status('a', 'started'), opts())
    // Meanwhile another process (a `vectorize submit`) is killed in the middle of its write.
    await appendFile(join(reports.dir, 'status.log'), '{"task_id":"b","status":{"task_id":"b","sta')
    await worker.status(status('a', 'succeeded'), opts())
    const reader = await reports.open()
    assert.equal((await reader.task('a', opts()))?.state, 'succeeded')
    assert.equal(await reader.task('b', opts()), undefined)
  })

  it('LocalReporter should refuse records after close', async (t) => {
    const reports = await tempReports(t)
    const reporter = await reports.open()
    await reporter.close()
    await reporter.close()
    await assert.rejects(reporter.status(status('a', 'queued'), opts()), /closed/)
  })
})

/** What the local reporter made durable, read from its files as an operator would. */
async function readLocal(dir: string): Promise<Written> {
  const lines = async (name: string) =>
    (await readFile(join(dir, name))).toString('latin1').split('\n').filter(Boolean)
  const records = (await lines(statusFileName)).map(
    (line) =>
      JSON.parse(Buffer.from(line, 'latin1').toString('utf8')) as {
        status?: StatusMessage
        result?: ResultMessage
      },
  )
  const deadLetters = []
  const damaged = () => assert.fail('a damaged dead-letter line')
  for await (const letter of readDeadLetters(dir, AbortSignal.timeout(30_000), damaged)) {
    const { value, taskId, error, origin, attempts, workerId } = letter
    deadLetters.push({ value, taskId, error, origin, attempts, workerId })
  }
  return {
    statuses: records.flatMap((r) => (r.status ? [r.status] : [])),
    results: records.flatMap((r) => (r.result ? [r.result] : [])),
    deadLetters,
  }
}

reporterContract('LocalReporter', async (t) => {
  const reports = await tempReports(t)
  const reporter = await reports.open()
  return { reporter, read: () => readLocal(reports.dir) }
})
