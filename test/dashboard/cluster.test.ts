/**
 * The dashboard's reading of the cluster, one refresh at a time over given sources: a worker whose
 * beat is late is marked late, one that does not answer its scrape is shown with the reason, a part
 * that fails is unavailable with its reason while the rest still shows, and totals are the sum of
 * the scrapes.
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Cluster, type ClusterSources } from '../../src/dashboard/cluster.ts'
import { parseMetrics } from '../../src/dashboard/prometheus-text.ts'
import type { Scrape } from '../../src/dashboard/scrape.ts'
import { scrapedMetrics } from '../../src/dashboard/worker-metrics.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { PrometheusMetrics } from '../../src/observability/metrics.ts'
import type { WorkerRecord } from '../../src/observability/worker-record.ts'

function record(id: string, beatAgoMs: number, metricsUrl?: string): WorkerRecord {
  const now = Date.now()
  return {
    id,
    host: 'h',
    pid: 1,
    version: '1',
    state: 'running',
    models: [],
    active_tasks: 0,
    counters: {},
    started_at: new Date(now - 60_000).toISOString(),
    updated_at: new Date(now - beatAgoMs).toISOString(),
    interval_ms: 1_000,
    ttl_ms: 5_000,
    ...(metricsUrl && { metrics_url: metricsUrl }),
  }
}

async function scrapeOf(succeeded: number): Promise<Scrape> {
  const metrics = new PrometheusMetrics({ workerId: 'x', version: '1' })
  const timings = { queue: 1, inference: 1, store: 1, total: 3 }
  for (let i = 0; i < succeeded; i++) {
    metrics.taskFinished({ type: 'text', outcome: 'succeeded', timings, items: 2, tokens: 5 })
  }
  return { ok: true, metrics: scrapedMetrics(parseMetrics(await metrics.render())), ms: 3 }
}

describe('dashboard Cluster', () => {
  it('should mark late workers, show failed scrapes, sum the others, and survive a failing part', async () => {
    const sources: ClusterSources = {
      mode: 'kafka',
      discovery: 'test',
      workers: () =>
        Promise.resolve([
          record('on-time', 200, 'http://a'),
          record('late', 2_500, 'http://b'),
          record('silent', 100, 'http://c'),
          record('no-url', 100),
        ]),
      scrape: async (url) =>
        url === 'http://a'
          ? scrapeOf(3)
          : url === 'http://b'
            ? scrapeOf(4)
            : { ok: false, error: 'no answer within 1000 ms' },
      lag: () => Promise.reject(new Error('broker down')),
      notes: [],
    }
    const cluster = new Cluster(sources, { refreshMs: 1_000, logger: silentLogger })
    await cluster.refresh()
    const snapshot = await cluster.snapshot()
    await cluster.close()
    const { workers } = snapshot
    assert.ok(!('unavailable' in workers), 'a worker list')
    const rows = new Map(workers.map((w) => [w.id, w]))
    assert.equal(rows.get('on-time')?.late, false)
    assert.equal(rows.get('late')?.late, true)
    assert.deepEqual(rows.get('silent')?.scrape, { ok: false, error: 'no answer within 1000 ms' })
    assert.deepEqual(rows.get('no-url')?.scrape, { ok: false, error: 'no metrics_url' })
    assert.deepEqual([snapshot.totals.succeeded, snapshot.totals.items], [7, 14])
    assert.deepEqual(snapshot.lag, { unavailable: 'broker down' })
    assert.equal('unavailable' in snapshot.counts, true)
  })

  it('should show only a configured worker that answers (no heartbeats to go by)', async () => {
    const cluster = new Cluster(
      {
        mode: 'local',
        discovery: 'configured',
        unverified: true,
        workers: () => Promise.resolve([record('worker-1', 0, 'http://w')]),
        scrape: () => Promise.resolve({ ok: false, error: 'ECONNREFUSED' }),
        notes: [],
      },
      { refreshMs: 1_000, logger: silentLogger },
    )
    await cluster.refresh()
    const snapshot = await cluster.snapshot()
    await cluster.close()
    assert.deepEqual(snapshot.workers, [])
    assert.deepEqual(snapshot.lag, { unavailable: 'no running worker reports a lag' })
  })
})
