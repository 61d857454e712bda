import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { HttpServer, Readiness } from '../../src/observability/http.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import type { Verdict } from '../../src/observability/watchdog.ts'

async function serve(
  t: { after(fn: () => Promise<void>): void },
  readiness: Readiness,
  health: () => Verdict,
) {
  const metrics = {
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    render: () => Promise.resolve('up 1\n'),
  }
  const server = await HttpServer.create(
    { host: '127.0.0.1', port: 0 },
    { logger: silentLogger, metrics, readiness, health },
  )
  t.after(() => server.close())
  return server.url
}

describe('HttpServer', () => {
  it('should be ready when every required check passes, whatever the optional ones say', async (t) => {
    const readiness = new Readiness()
    readiness.add({ name: 'store', required: true, check: () => Promise.resolve({ rows: 1 }) })
    readiness.add({
      name: 'redis',
      required: false,
      check: () => Promise.reject(new Error('connection refused')),
    })
    const url = await serve(t, readiness, () => ({ ok: true }))
    const res = await fetch(`${url}/ready`)
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), {
      status: 'ready',
      checks: {
        store: { ok: true, required: true, detail: { rows: 1 } },
        redis: { ok: false, required: false, error: 'connection refused' },
      },
    })
  })

  it('should answer 503 with the reason when a required check fails or the watchdog complains', async (t) => {
    const readiness = new Readiness()
    readiness.add({
      name: 'source',
      required: true,
      check: () => Promise.reject(new Error('broker down')),
    })
    const url = await serve(t, readiness, () => ({ ok: false, reason: 'stuck', stalled_ms: 9 }))
    const ready = await fetch(`${url}/ready`)
    assert.equal(ready.status, 503)
    assert.match(await ready.text(), /broker down/)
    const health = await fetch(`${url}/health`)
    assert.equal(health.status, 503)
    assert.deepEqual(await health.json(), {
      status: 'failing',
      ok: false,
      reason: 'stuck',
      stalled_ms: 9,
    })
  })

  it('should answer /ready from probed results, with their age, and never wait on a hung check', async (t) => {
    const readiness = new Readiness()
    readiness.add({ name: 'hung', required: false, check: () => new Promise(() => undefined) })
    readiness.addProbe('source', true, {
      read: () => ({ ok: false, error: 'cannot read the partition offsets', ageMs: 1_234 }),
    })
    readiness.addProbe('store', true, { read: () => ({ ok: true, ageMs: 5 }) })
    const url = await serve(t, readiness, () => ({ ok: true }))
    const ready = await fetch(`${url}/ready`)
    assert.equal(ready.status, 503)
    assert.deepEqual(await ready.json(), {
      status: 'not_ready',
      checks: {
        hung: { ok: false, required: false, error: 'no answer in time' },
        source: {
          ok: false,
          required: true,
          error: 'cannot read the partition offsets',
          age_ms: 1_234,
        },
        store: { ok: true, required: true, age_ms: 5 },
      },
    })
  })

  it('should serve metrics with their content type and refuse other paths and methods', async (t) => {
    const url = await serve(t, new Readiness(), () => ({ ok: true }))
    const metrics = await fetch(`${url}/metrics`)
    assert.equal(metrics.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
    assert.equal(await metrics.text(), 'up 1\n')
    assert.equal((await fetch(`${url}/nope`)).status, 404)
    assert.equal((await fetch(`${url}/health`, { method: 'POST' })).status, 405)
  })

  it('should refuse to start on a port in use, naming the setting', async (t) => {
    const first = await serve(t, new Readiness(), () => ({ ok: true }))
    const port = Number(new URL(first).port)
    const metrics = { contentType: 'text/plain', render: () => Promise.resolve('') }
    const deps = {
      logger: silentLogger,
      metrics,
      readiness: new Readiness(),
      health: () => ({ ok: true }) as const,
    }
    await assert.rejects(
      HttpServer.create({ host: '127.0.0.1', port }, deps),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'config_invalid')
        assert.match(
          err.message,
          new RegExp(`cannot serve HTTP on 127\\.0\\.0\\.1:${port} \\(http\\.host, http\\.port`),
        )
        return true
      },
    )
  })
})
