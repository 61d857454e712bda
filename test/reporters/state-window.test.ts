/** StateWindow: tasks per state over a sliding window, with a cap on the tasks kept. */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { StatusMessage } from '../../src/protocol/report.ts'
import { StateWindow } from '../../src/reporters/state-window.ts'

const minute = 60_000
const t0 = Date.parse('2026-04-01T12:00:00Z')

function status(id: string, state: StatusMessage['state'], atMs: number): StatusMessage {
  return { task_id: id, state, worker_id: 'w-1', at: new Date(atMs).toISOString() }
}

/** Adds records as the tail would: written at `atMs`, read at `nowMs`. */
function feed(
  window: StateWindow,
  records: [string, StatusMessage['state'], number][],
  nowMs: number,
) {
  for (const [id, state, atMs] of records) window.add(status(id, state, atMs), atMs, nowMs)
}

describe('StateWindow', () => {
  it('StateWindow should count each task once, by its latest state, while its last record is in the window', () => {
    const window = new StateWindow({ windowMs: 60 * minute, maxTasks: 100 })
    feed(
      window,
      [
        ['a', 'queued', t0],
        ['a', 'started', t0 + 1],
        ['a', 'succeeded', t0 + 2],
        ['b', 'started', t0 + 10 * minute],
        ['c', 'queued', t0 + 20 * minute],
        ['b', 'failed', t0 + 30 * minute],
      ],
      t0 + 30 * minute,
    )
    const now = window.counts(t0 + 30 * minute)
    assert.deepEqual(now.states, { queued: 1, started: 0, progress: 0, succeeded: 1, failed: 1 })
    assert.deepEqual([now.tasks, now.evicted, now.oldest], [3, 0, t0 + 2])

    // an hour after `a` finished it leaves the counts; `b` and `c` stay until theirs
    const later = window.counts(t0 + 65 * minute)
    assert.deepEqual(later.states, { queued: 1, started: 0, progress: 0, succeeded: 0, failed: 1 })
    assert.equal(later.oldest, t0 + 20 * minute)
    assert.equal(window.counts(t0 + 100 * minute).tasks, 0)
  })

  it('StateWindow should skip a record written before the window, whenever it arrives', () => {
    const window = new StateWindow({ windowMs: 60 * minute, maxTasks: 100 })
    const now = t0 + 120 * minute
    feed(window, [['new', 'started', now - minute]], now)
    feed(window, [['old', 'succeeded', now - 90 * minute]], now) // a late arrival, long written
    assert.deepEqual(window.counts(now).tasks, 1)
    assert.equal(window.counts(now).states.succeeded, 0)
  })

  it('StateWindow should keep at most maxTasks, dropping the least recently updated, and say so', () => {
    const window = new StateWindow({ windowMs: 60 * minute, maxTasks: 3 })
    const now = t0 + 10 * minute
    feed(
      window,
      [
        ['a', 'started', t0],
        ['b', 'started', t0 + 1 * minute],
        ['c', 'started', t0 + 2 * minute],
        ['a', 'progress', t0 + 3 * minute], // `a` updated: `b` is now the least recent
        ['d', 'queued', t0 + 4 * minute],
        ['e', 'queued', t0 + 5 * minute],
      ],
      now,
    )
    const counts = window.counts(now)
    assert.deepEqual(counts.states, { queued: 2, started: 0, progress: 1, succeeded: 0, failed: 0 })
    assert.deepEqual([counts.tasks, counts.evicted], [3, 2])
    assert.equal(counts.oldest, t0 + 3 * minute, 'the counts now start at `a`’s last record')
  })
})
