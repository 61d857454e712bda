import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CommitTracker } from '../../src/worker/commits.ts'

describe('CommitTracker', () => {
  it('should commit only past the contiguous run of done offsets', () => {
    const t = new CommitTracker()
    for (const o of [10, 11, 12, 13]) t.delivered(0, o)
    assert.deepEqual(
      t.pending(),
      [],
      'nothing done: nothing to commit (reading starts there anyway)',
    )
    t.done(0, 12)
    t.done(0, 11)
    assert.deepEqual(t.pending(), [], 'offset 10 still runs: 11 and 12 must not be committed')
    t.done(0, 10)
    assert.deepEqual(t.pending(), [{ partition: 0, offset: 13 }])
    t.committed(t.pending())
    assert.deepEqual(t.pending(), [])
    t.done(0, 13)
    assert.deepEqual(t.pending(), [{ partition: 0, offset: 14 }])
    assert.equal(t.inflight(), 0)
  })

  it('should keep partitions independent and forget revoked ones', () => {
    const t = new CommitTracker()
    t.delivered(0, 5)
    t.delivered(1, 100)
    t.done(1, 100)
    assert.deepEqual(t.pending(), [{ partition: 1, offset: 101 }])
    t.committed([{ partition: 1, offset: 101 }])
    t.revoke(0)
    t.done(0, 5)
    assert.deepEqual(t.pending(), [], 'a late completion on a revoked partition is not committed')
  })

  it('should never move a committed position backwards', () => {
    const t = new CommitTracker()
    t.delivered(0, 1)
    t.done(0, 1)
    t.committed([{ partition: 0, offset: 2 }])
    t.committed([{ partition: 0, offset: 1 }])
    assert.deepEqual(t.pending(), [])
  })
})
