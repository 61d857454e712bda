import * as assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { silentLogger } from '../../src/observability/logger.ts'
import type { Marker, MarkerStore } from '../../src/sources/kafka-guard.ts'
import { CrashGuard, formatMarker, parseMarker } from '../../src/sources/kafka-guard.ts'

/** Commit metadata per partition, as the group coordinator would keep it across processes. */
class Metadata implements MarkerStore {
  readonly stored = new Map<number, Marker>()
  failNext = false
  read(partition: number): Promise<Marker | undefined> {
    return Promise.resolve(this.stored.get(partition))
  }
  write(partition: number, marker: Marker): Promise<void> {
    this.stored.set(partition, marker) // it lands even when its confirmation fails
    if (this.failNext) {
      this.failNext = false
      return Promise.reject(new Error('broker down'))
    }
    return Promise.resolve()
  }
  /** A progress commit stores no metadata. */
  commit(partition: number): void {
    this.stored.delete(partition)
  }
}

/** A marker without its writer's id. */
function counts(marker: Marker | undefined) {
  return marker && { at: marker.at, starts: marker.starts }
}

/** What the source does for a message: inspect, then mark; the deaths seen before. */
async function admit(g: CrashGuard, partition: number, offset: number): Promise<number> {
  const crashes = await g.inspect(partition, offset)
  await g.mark(partition)
  return crashes
}

/** A guard as one worker process has it (each call: another process, unless `owner` is given). */
function guard(store: Metadata, now = () => 0, owner: string = randomUUID()) {
  const g = new CrashGuard(store, { window: 3, windowMs: 10_000, logger: silentLogger, now, owner })
  g.assigned(0)
  g.assigned(1)
  return g
}

describe('CrashGuard', () => {
  it('CrashGuard should count a worker that died before getting past an offset as one crash there', async () => {
    const store = new Metadata()
    const first = guard(store)
    assert.equal(await admit(first, 0, 40), 0, 'a fresh partition has no crashes')
    // The process dies here: nothing committed. The next owner starts from offset 40 again.
    for (const expected of [1, 2, 3]) {
      const next = guard(store)
      assert.equal(next.first(0), true)
      assert.equal(await admit(next, 0, 40), expected)
    }
    assert.deepEqual(counts(store.stored.get(0)), { at: 40, starts: 4 })
  })

  it('CrashGuard should forget the crashes once a worker commits past the offset', async () => {
    const store = new Metadata()
    await admit(guard(store), 0, 40)
    const next = guard(store)
    assert.equal(await admit(next, 0, 40), 1)
    store.commit(0)
    next.progressed(0, 41, undefined)
    assert.equal(await admit(next, 0, 41), 0, 'the marker moved on with the commit')
    assert.equal(await admit(guard(store), 0, 41), 1, 'a death at the new offset counts from one')
  })

  it('CrashGuard should hand out messages one at a time from a second death, for a bounded window', async () => {
    let now = 0
    const store = new Metadata()
    const clock = () => now
    await admit(guard(store, clock), 0, 10) // died
    const second = guard(store, clock)
    assert.equal(await admit(second, 0, 10), 1)
    assert.equal(second.serial, false, 'one death is tolerated (a lost session looks the same)')
    const next = guard(store, clock) // the second died too
    assert.equal(next.needsAdmission(1), true, 'every partition admits its first message')
    await admit(next, 1, 5)
    assert.equal(next.needsAdmission(1), false, 'then its messages flow freely')
    assert.equal(await next.inspect(0, 10), 2)
    assert.equal(
      next.serial,
      true,
      'two deaths at 10 make partition 0 careful before it runs again',
    )
    await next.mark(0)
    assert.deepEqual(counts(store.stored.get(0)), { at: 10, starts: 3 })
    assert.equal(next.needsAdmission(1), true, 'while careful, every message is admitted')
    next.progressed(0, 11, undefined)
    next.progressed(0, 12, undefined)
    assert.equal(next.serial, true, 'two of the three careful messages are done')
    next.progressed(0, 13, undefined)
    assert.equal(next.serial, false, 'the window of three messages is over')

    await admit(guard(store, clock), 0, 20)
    await admit(guard(store, clock), 0, 20)
    const idle = guard(store, clock)
    await admit(idle, 0, 20)
    assert.equal(idle.serial, true)
    now += 10_000
    assert.equal(idle.serial, false, 'an idle careful partition stops being careful in time')
  })

  it('CrashGuard should let the caller retry a marker whose write failed, counting it once', async () => {
    const store = new Metadata()
    const g = guard(store)
    store.failNext = true
    await assert.rejects(admit(g, 0, 7), /broker down/)
    assert.equal(g.first(0), true, 'still unchecked: the message is not handed out')
    assert.equal(await admit(g, 0, 7), 0, 'the retry does not count the first try as a death')
    assert.deepEqual(counts(store.stored.get(0)), { at: 7, starts: 1 })
  })

  it('CrashGuard should take its own start back when it hands a partition back cleanly', async () => {
    const store = new Metadata()
    await admit(guard(store), 0, 40) // died
    const next = guard(store)
    assert.equal(await admit(next, 0, 40), 1)
    assert.deepEqual(
      counts(next.handBack(0)),
      { at: 40, starts: 1 },
      'the earlier death stays counted',
    )
    assert.equal(next.handBack(1), undefined, 'nothing to take back where nothing started')
    next.progressed(0, 45, next.progressMarker(45, true))
    assert.deepEqual(counts(next.handBack(0)), { at: 45, starts: 0 })
    next.progressed(0, 50, next.progressMarker(50, false))
    assert.equal(next.handBack(0), undefined, 'nothing was running at the last commit')
  })

  it('CrashGuard should not count a start of its own live process (a partition lost and won back)', async () => {
    const store = new Metadata()
    const alive = guard(store, () => 0, 'process-a')
    assert.equal(await admit(alive, 0, 40), 0)
    // Session lost (a broker restart), the same process is assigned the partition again.
    alive.revoked(0)
    alive.assigned(0)
    assert.equal(await admit(alive, 0, 40), 0, 'its own start is not a death')
    assert.equal(alive.serial, false)
    assert.equal(await admit(guard(store), 0, 40), 1, 'another process counts it: that one died')
  })

  it('parseMarker should read back what formatMarker wrote and ignore foreign metadata', () => {
    const marker = { at: 123_456_789_012, starts: 2, by: 'w-1/1234' }
    assert.deepEqual(parseMarker(formatMarker(marker)), marker)
    for (const foreign of [null, undefined, '', 'app metadata', '{"at":1,"starts":1}', '[1]']) {
      assert.equal(parseMarker(foreign), undefined, String(foreign))
    }
  })
})
