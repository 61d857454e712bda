import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { VectorizeError } from '../../src/worker/errors.ts'
import { backoffMs, withRetry } from '../../src/worker/retry.ts'

const signal = new AbortController().signal
const outage = () => new VectorizeError('store_unavailable', 'down')

describe('withRetry', () => {
  it('should retry infrastructure errors until they pass', async () => {
    let calls = 0
    const policy = {
      max_attempts: 10,
      max_elapsed_ms: 10_000,
      initial_delay_ms: 1,
      max_delay_ms: 4,
    }
    const value = await withRetry(
      () => (++calls < 4 ? Promise.reject(outage()) : Promise.resolve('ok')),
      policy,
      signal,
    )
    assert.deepEqual([value, calls], ['ok', 4])
  })

  it('should not retry data errors', async () => {
    let calls = 0
    const policy = {
      max_attempts: 10,
      max_elapsed_ms: 10_000,
      initial_delay_ms: 1,
      max_delay_ms: 4,
    }
    const bad = new VectorizeError('empty_text', 'text is empty')
    await assert.rejects(
      withRetry(() => (calls++, Promise.reject(bad)), policy, signal),
      bad,
    )
    assert.equal(calls, 1)
  })

  it('should give up when the attempts or the time budget run out', async () => {
    let calls = 0
    const attempts = {
      max_attempts: 3,
      max_elapsed_ms: 10_000,
      initial_delay_ms: 1,
      max_delay_ms: 2,
    }
    await assert.rejects(
      withRetry(() => (calls++, Promise.reject(outage())), attempts, signal),
      /down/,
    )
    assert.equal(calls, 3)
    calls = 0
    const budget = {
      max_attempts: 1000,
      max_elapsed_ms: 60,
      initial_delay_ms: 20,
      max_delay_ms: 20,
    }
    const started = performance.now()
    await assert.rejects(
      withRetry(() => (calls++, Promise.reject(outage())), budget, signal),
      /down/,
    )
    assert.ok(calls >= 2 && calls <= 6, `${calls} attempts in a 60 ms budget of 10–20 ms delays`)
    assert.ok(performance.now() - started < 1000)
  })

  it('should grow the delay exponentially up to the cap, with jitter in the upper half', () => {
    const policy = {
      max_attempts: 99,
      max_elapsed_ms: 1e9,
      initial_delay_ms: 100,
      max_delay_ms: 1000,
    }
    assert.deepEqual(
      [1, 2, 3, 4, 5, 9].map((a) => backoffMs(a, policy, () => 1)),
      [100, 200, 400, 800, 1000, 1000],
    )
    assert.equal(
      backoffMs(3, policy, () => 0),
      200,
    )
  })
})
