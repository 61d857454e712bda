/**
 * The StatusView contract suite: the embedded index (LocalReporter) and the Kafka status topic
 * (KafkaStatusView) run it unchanged, over records written by the mode's own reporter. What it
 * checks is what `vectorize status` and the dashboard's Tasks view show: a task's latest state and
 * attempts, and, when asked, its status history — every record in the order it was written, with a
 * late record marked, bounded for a task with very many records, and absent unless asked for.
 */
import * as assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import type { StatusMessage } from '../../src/protocol/report.ts'
import type { HistoryEntry, Reporter, StatusView } from '../../src/reporters/reporter.ts'
import { historyLimits } from '../../src/reporters/task-history.ts'

export interface StatusViewHarness {
  /** Writes as the workers and `vectorize submit` do. */
  readonly reporter: Reporter
  /** A view over what the reporter made durable (another process's view); closed by the harness. */
  readonly view: () => Promise<StatusView>
}

export type StatusViewHarnessFactory = (t: TestContext) => Promise<StatusViewHarness>

const opts = (history?: boolean) => ({
  signal: AbortSignal.timeout(60_000),
  ...(history !== undefined && { history }),
})

let clock = Date.parse('2026-03-01T00:00:00Z')
function status(
  taskId: string,
  state: StatusMessage['state'],
  extra: Partial<StatusMessage> = {},
): StatusMessage {
  clock += 1000
  return { task_id: taskId, state, worker_id: 'w-1', at: new Date(clock).toISOString(), ...extra }
}

/** What a person reads in one row of the history. */
const row = (h: HistoryEntry) =>
  [
    h.state,
    h.worker_id,
    h.progress ? `${h.progress.done}/${h.progress.total}` : '',
    h.error?.code ?? '',
    h.stale ? 'stale' : '',
  ].join(' ')

export function statusViewContract(
  name: string,
  factory: StatusViewHarnessFactory,
  timeout = 60_000,
): void {
  describe(`${name} (StatusView contract)`, { timeout }, () => {
    it(`${name} should give a task's status records in the order they were written`, async (t) => {
      const { reporter, view } = await factory(t)
      const error = { code: 'store_unavailable' as const, message: 'refused', retriable: true }
      const written = [
        status('h-1', 'queued', { worker_id: 'submit' }),
        status('h-1', 'started'),
        status('h-1', 'progress', { progress: { done: 1, total: 2 } }),
        status('h-1', 'failed', { error }),
        status('h-1', 'started', { worker_id: 'w-2' }),
        status('h-1', 'progress', { worker_id: 'w-2', progress: { done: 2, total: 2 } }),
        status('h-1', 'succeeded', { worker_id: 'w-2' }),
      ]
      for (const [i, s] of written.entries()) {
        await reporter.status(s, opts())
        await reporter.status(status(`other-${i}`, 'queued'), opts()) // interleaved with others
      }
      const record = await (await view()).task('h-1', opts(true))
      assert.ok(record, 'the task is known')
      assert.deepEqual([record.state, record.attempts, record.worker_id], ['succeeded', 2, 'w-2'])
      assert.deepEqual(record.history?.records.map(row), [
        'queued submit   ',
        'started w-1   ',
        'progress w-1 1/2  ',
        'failed w-1  store_unavailable ',
        'started w-2   ',
        'progress w-2 2/2  ',
        'succeeded w-2   ',
      ])
      assert.deepEqual(
        record.history.records.map((h) => h.at),
        written.map((s) => s.at),
      )
      assert.deepEqual(record.history.records[3]?.error, error)
      assert.equal(record.history.compacted, false)
      assert.equal(record.history.omitted, 0)
    })

    it(`${name} should mark a record stamped before the state it follows, which the state ignores`, async (t) => {
      const { reporter, view } = await factory(t)
      const queued = status('late-1', 'queued', { worker_id: 'submit' })
      await reporter.status(status('late-1', 'started'), opts())
      await reporter.status(queued, opts()) // `submit` appending after the worker started it
      const record = await (await view()).task('late-1', opts(true))
      assert.equal(record?.state, 'started')
      assert.deepEqual(record.history?.records.map(row), [
        'started w-1   ',
        'queued submit   stale',
      ])
    })

    it(`${name} should answer the latest state alone unless the history is asked for`, async (t) => {
      const { reporter, view } = await factory(t)
      await reporter.status(status('plain-1', 'queued'), opts())
      await reporter.status(status('plain-1', 'started'), opts())
      const statusView = await view()
      const record = await statusView.task('plain-1', opts())
      assert.equal(record?.state, 'started')
      assert.equal(record.history, undefined)
      assert.equal(await statusView.task('no-such-task', opts(true)), undefined)
    })

    it(`${name} should keep the first and the latest records of a task with very many`, async (t) => {
      const { reporter, view } = await factory(t)
      const total = historyLimits.head + historyLimits.tail + 100
      const sent = [status('long-1', 'started')]
      for (let i = 1; i < total - 1; i++) {
        sent.push(status('long-1', 'progress', { progress: { done: i, total } }))
      }
      sent.push(status('long-1', 'succeeded'))
      // in order, a window of sends in flight at a time (a reporter keeps the order of its calls)
      for (let i = 0; i < sent.length; i += 50) {
        await Promise.all(sent.slice(i, i + 50).map((s) => reporter.status(s, opts())))
      }
      const record = await (await view()).task('long-1', opts(true))
      const history = record?.history
      assert.ok(history)
      assert.equal(history.records.length, historyLimits.head + historyLimits.tail)
      assert.equal(history.omitted, 100)
      assert.deepEqual(
        history.records.map((h) => h.at),
        [...sent.slice(0, historyLimits.head), ...sent.slice(historyLimits.head + 100)].map(
          (s) => s.at,
        ),
        'the first records and the latest, in order',
      )
    })
  })
}
