/**
 * The throughput charts: rates between scrapes must add up to exactly what the workers' counters
 * grew by (what "matches their /metrics" means), survive a worker restart without going negative,
 * and latency quantiles must cover the window's observations only.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { History } from '../../src/dashboard/history.ts'
import type { ScrapedMetrics } from '../../src/dashboard/worker-metrics.ts'

function metrics(
  succeeded: number,
  failed: number,
  items: number,
  queue: [number, number][] = [],
): ScrapedMetrics {
  const buckets = new Map<number, number>(queue)
  const none = new Map<number, number>()
  return {
    succeeded,
    failed,
    items,
    tokens: items * 10,
    retries: 0,
    deadLetters: failed,
    errorsByCode: {},
    lag: [],
    models: [],
    latency: { queue: buckets, inference: none, store: none, total: none },
  }
}

describe('dashboard History', () => {
  it("should give rates whose sum over time equals the counters' growth, worker by worker", () => {
    const history = new History(100, 60_000)
    const a = [0, 7, 19, 19, 40]
    const b = [3, 3, 10, 25, 26]
    const t = [0, 2_000, 4_500, 6_000, 9_000]
    t.forEach((ms, i) => {
      history.push(
        1_000_000 + ms,
        new Map([
          ['a@1', metrics(a[i]!, 0, a[i]! * 2)],
          ['b@1', metrics(b[i]!, 1, b[i]!)],
        ]),
      )
    })
    const s = history.series()
    let tasks = 0
    let items = 0
    for (let i = 1; i < s.t.length; i++) {
      const dt = (s.t[i]! - s.t[i - 1]!) / 1000
      tasks += s.tasks[i]! * dt
      items += s.items[i]! * dt
    }
    assert.equal(s.tasks[0], null, 'no rate before the second scrape')
    assert.ok(Math.abs(tasks - (40 + 26 - 3)) < 1e-9, `tasks ${tasks}`)
    assert.ok(Math.abs(items - (80 + 26 - 3)) < 1e-9, `items ${items}`)
  })

  it('should count a restarted worker from zero, never negative, and ignore one seen once', () => {
    const history = new History(100, 60_000)
    history.push(0, new Map([['a@1', metrics(500, 0, 500)]]))
    history.push(
      1_000,
      new Map([
        ['a@1', metrics(4, 0, 4)],
        ['new@2', metrics(1_000, 0, 1_000)],
      ]),
    )
    assert.deepEqual(history.latest?.rates, { tasks: 4, items: 4, tokens: 40, errors: 0 })
  })

  it('should take latency quantiles over the window only', () => {
    const history = new History(100, 10_000)
    // before the window: 100 slow tasks (≤ 10 s); in it: 10 fast ones (≤ 0.1 s)
    history.push(
      0,
      new Map([
        [
          'a@1',
          metrics(100, 0, 100, [
            [0.1, 0],
            [10, 100],
            [Infinity, 100],
          ]),
        ],
      ]),
    )
    history.push(
      20_000,
      new Map([
        [
          'a@1',
          metrics(100, 0, 100, [
            [0.1, 0],
            [10, 100],
            [Infinity, 100],
          ]),
        ],
      ]),
    )
    const point = history.push(
      25_000,
      new Map([
        [
          'a@1',
          metrics(110, 0, 110, [
            [0.1, 10],
            [10, 110],
            [Infinity, 110],
          ]),
        ],
      ]),
    )
    assert.equal(point.latency.queue.p95, 0.095)
  })
})
