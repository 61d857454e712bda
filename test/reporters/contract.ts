/**
 * The Reporter contract suite: the local and Kafka reporters and the in-memory fake run it
 * unchanged, each through a harness that reads back what its reporter made durable. What it checks
 * is what the worker relies on: a record is readable once its call resolved (the offset may then be
 * committed), one task's records keep their order, a dead letter keeps the original bytes and says
 * what failed and where, an aborted call rejects with the abort, a closed reporter refuses.
 */
import * as assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import type { ResultMessage, StatusMessage } from '../../src/protocol/report.ts'
import type { DeadLetter, Reporter } from '../../src/reporters/reporter.ts'
import { VectorizeError } from '../../src/worker/errors.ts'

/** What a reporter made durable, read back by other means than the reporter itself. */
export interface Written {
  readonly statuses: readonly StatusMessage[]
  readonly results: readonly ResultMessage[]
  readonly deadLetters: readonly DeadLetter[]
}

export interface ReporterHarness {
  readonly reporter: Reporter
  /** Reads back at least this many records of each kind (Kafka needs to know when to stop). */
  read(expected: { statuses: number; results: number; deadLetters: number }): Promise<Written>
}

/** A fresh reporter over empty storage; its cleanup is registered with `t.after`. */
export type ReporterHarnessFactory = (t: TestContext) => Promise<ReporterHarness>

const opts = () => ({ signal: AbortSignal.timeout(30_000) })

let clock = Date.parse('2026-01-01T00:00:00Z')
function status(taskId: string, state: StatusMessage['state']): StatusMessage {
  clock += 1000
  return { task_id: taskId, state, worker_id: 'w-1', at: new Date(clock).toISOString() }
}

const result: ResultMessage = {
  task_id: 'r-1',
  collection: 'docs',
  model: 'fake/model@fp32',
  dimensions: 8,
  ids: ['6f1c0b9e-2a3d-5e4f-8a7b-1c2d3e4f5a6b'],
  counts: { items: 1, vectors: 1, tokens: 5, truncated: 0 },
  truncated: [],
  timings_ms: { queue: 1, inference: 2, store: 3, total: 6 },
  worker_id: 'w-1',
}

function letter(taskId: string, value: Uint8Array, offset: number): DeadLetter {
  return {
    value,
    taskId,
    error: { code: 'invalid_json', message: `cannot parse ${taskId}`, class: 'data' },
    origin: { topic: 'vectorize.tasks', partition: 0, offset },
    attempts: 2,
    workerId: 'w-1',
  }
}

const bytes = (text: string) => new TextEncoder().encode(text)
const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown
const hex = (value: Uint8Array) => Buffer.from(value).toString('hex')

export function reporterContract(
  name: string,
  factory: ReporterHarnessFactory,
  options: { timeoutMs?: number } = {},
): void {
  const timeout = options.timeoutMs ?? 30_000
  describe(`${name} (Reporter contract)`, { timeout }, () => {
    it(`${name} should make status and result records readable, in order per task, once acknowledged`, async (t) => {
      const harness = await factory(t)
      const { reporter } = harness
      const states = ['queued', 'started', 'progress', 'succeeded'] as const
      const sent = states.map((state) => status('r-1', state))
      for (const s of sent) await reporter.status(s, opts())
      await reporter.status(status('r-2', 'failed'), opts())
      await reporter.result(result, opts())

      const written = await harness.read({ statuses: 5, results: 1, deadLetters: 0 })
      assert.deepEqual(
        written.statuses.filter((s) => s.task_id === 'r-1').map(plain),
        sent.map(plain),
      )
      assert.deepEqual(written.statuses.filter((s) => s.task_id === 'r-2').length, 1)
      assert.deepEqual(written.results.map(plain), [plain(result)])
    })

    it(`${name} should keep every record of concurrent calls once they all resolved`, async (t) => {
      const harness = await factory(t)
      const { reporter } = harness
      const sent = Array.from({ length: 100 }, (_, i) => status(`c-${i}`, 'succeeded'))
      await Promise.all(sent.map((s) => reporter.status(s, opts())))
      const written = await harness.read({ statuses: 100, results: 0, deadLetters: 0 })
      assert.deepEqual(
        written.statuses.map((s) => s.task_id).sort(),
        sent.map((s) => s.task_id).sort(),
      )
    })

    it(`${name} should dead-letter the original bytes with the error, origin, attempts and worker`, async (t) => {
      const harness = await factory(t)
      const { reporter } = harness
      const values = [
        bytes('{"task_id":"d-0","type":"text"}'),
        bytes('two\nlines of text'),
        Uint8Array.from([0xff, 0x00, 0x7b, 0x0a]), // not UTF-8
        new Uint8Array(0),
      ]
      const sent = values.map((value, i) => letter(`d-${i}`, value, 10 + i))
      for (const l of sent) await reporter.deadLetter(l, opts())
      const written = await harness.read({ statuses: 0, results: 0, deadLetters: sent.length })
      const byTask = new Map(written.deadLetters.map((l) => [l.taskId, l]))
      for (const expected of sent) {
        const got = byTask.get(expected.taskId)
        assert.ok(got, `dead letter of ${expected.taskId}`)
        assert.equal(hex(got.value), hex(expected.value), `bytes of ${expected.taskId}`)
        assert.deepEqual(plain({ ...got, value: [] }), plain({ ...expected, value: [] }))
      }
    })

    it(`${name} should reject a call whose signal is aborted with the abort`, async (t) => {
      const { reporter } = await factory(t)
      const signal = AbortSignal.abort()
      for (const call of [
        reporter.status(status('a-1', 'queued'), { signal }),
        reporter.result(result, { signal }),
        reporter.deadLetter(letter('a-1', bytes('{}'), 1), { signal }),
      ]) {
        await assert.rejects(call, (err) => err instanceof Error && err.name === 'AbortError')
      }
    })

    it(`${name} should close idempotently and refuse records after close`, async (t) => {
      const { reporter } = await factory(t)
      await reporter.status(status('x-1', 'queued'), opts())
      await reporter.close()
      await reporter.close()
      await assert.rejects(reporter.status(status('x-1', 'started'), opts()), (err) => {
        assert.ok(err instanceof VectorizeError, String(err))
        assert.equal(err.retriable, false, 'a closed reporter is not an outage to wait out')
        return true
      })
    })
  })
}
