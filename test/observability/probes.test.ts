import * as assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { CachedProbe } from '../../src/observability/probes.ts'

const settings = { intervalMs: 1_000, timeoutMs: 500, maxAgeMs: 5_000 }

/** Fake timers and a clock the test moves; promises still settle on their own. */
function fakeTime(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] })
  let now = 0
  return {
    now: () => now,
    async advance(ms: number) {
      now += ms
      t.mock.timers.tick(ms)
      await new Promise<void>((resolve) => setImmediate(resolve)) // let settled calls record
    },
  }
}

describe('CachedProbe', () => {
  it('CachedProbe should fail before its first result and answer from its latest one', async (t) => {
    const time = fakeTime(t)
    let answer = 1
    const probe = new CachedProbe('p', () => Promise.resolve(answer++), settings, time.now)
    assert.deepEqual(probe.read(), { ok: false, error: 'no result yet' })
    probe.start()
    await time.advance(0)
    assert.deepEqual(probe.read(), { ok: true, value: 1, ageMs: 0 })
    await time.advance(400)
    assert.deepEqual(probe.read(), { ok: true, value: 1, ageMs: 400 }, 'answered from memory')
    await time.advance(600)
    assert.deepEqual(probe.read(), { ok: true, value: 2, ageMs: 0 }, 'refreshed every interval')
    probe.close()
  })

  it('CachedProbe should keep one call in flight and fail it once it is late', async (t) => {
    const time = fakeTime(t)
    let calls = 0
    const hung = () => {
      calls++
      return new Promise<never>(() => undefined) // a native call that never comes back
    }
    const probe = new CachedProbe('p', hung, settings, time.now).start()
    await time.advance(499)
    assert.deepEqual(probe.read(), { ok: false, error: 'no result yet' })
    await time.advance(1)
    assert.deepEqual(probe.read(), { ok: false, error: 'no answer within 500 ms', ageMs: 0 })
    for (let i = 0; i < 10; i++) await time.advance(1_000)
    assert.equal(calls, 1, 'no second call while the first is in flight')
    const stale = probe.read()
    assert.equal(stale.ok, false)
    assert.match(stale.error ?? '', /^no answer for 10000 ms \(over 5000 ms\)/)
    probe.close()
  })

  it('CachedProbe should count a good result that got too old as failing', async (t) => {
    const time = fakeTime(t)
    let release: (() => void) | undefined
    let calls = 0
    const run = () => {
      calls++
      // the first call answers; the second hangs until released
      return calls === 1
        ? Promise.resolve('up')
        : new Promise<string>((r) => (release = () => r('up again')))
    }
    const probe = new CachedProbe('p', run, settings, time.now).start()
    await time.advance(0)
    assert.equal(probe.read().ok, true)
    await time.advance(1_000) // the second call starts and hangs
    await time.advance(500) // ...and is recorded late
    assert.deepEqual(probe.read(), { ok: false, error: 'no answer within 500 ms', ageMs: 0 })
    release?.()
    await time.advance(0)
    assert.deepEqual(
      probe.read(),
      { ok: true, value: 'up again', ageMs: 0 },
      'a late answer counts',
    )
    probe.close()
  })

  it('CachedProbe should report a rejection with its reason', async (t) => {
    const time = fakeTime(t)
    const probe = new CachedProbe(
      'p',
      () => Promise.reject(new Error('broker down')),
      settings,
      time.now,
    ).start()
    await time.advance(0)
    assert.deepEqual(probe.read(), { ok: false, error: 'broker down', ageMs: 0 })
    probe.close()
  })
})
