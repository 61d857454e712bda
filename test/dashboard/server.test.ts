/**
 * `vectorize dashboard`'s server, wired as the command wires it, on an embedded queue with two
 * dead letters: actions are refused without allow_actions, without the CSRF token of the page,
 * from another origin or Host, and without the token when one is set; with all of them a discard
 * goes through. Secrets in the config never reach the page or the API.
 */
import * as assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import { openDashboard } from '../../src/cli/dashboard.ts'
import { Resources } from '../../src/main.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { LocalReporter } from '../../src/reporters/local.ts'
import { letter } from '../dead-letters/contract.ts'
import { testConfig } from '../helpers/config.ts'

const SECRETS = ['sasl-pass-9f2c', 'weaviate-key-71ab', 'qdrant-key-c3d4', 'redis-pass-5e6f']

async function started(
  t: TestContext,
  dashboard: Record<string, unknown>,
  redis: Record<string, unknown> = {},
) {
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-dashboard-'))
  const reporter = await LocalReporter.create({ dir }, { logger: silentLogger })
  for (const l of [letter(0), letter(1)])
    await reporter.deadLetter(l, { signal: AbortSignal.timeout(10_000) })
  await reporter.close()
  const config = testConfig({
    queue: { dir },
    vector_databases: {
      lancedb: { path: join(dir, 'lancedb') },
      weaviate: { api_key: SECRETS[1] },
      qdrant: { api_key: SECRETS[2] },
    },
    kafka: { sasl: { mechanism: 'plain', username: 'u', password: SECRETS[0] } },
    dashboard: { port: 0, refresh_ms: 500, ...dashboard },
    redis,
  })
  const resources = new Resources()
  t.after(async () => {
    await resources.close()
    await rm(dir, { recursive: true, force: true })
  })
  const server = await openDashboard({ config, logger: silentLogger, resources })
  const url = server.url
  const page = async (headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}/`, { headers })
    const html = await response.text()
    return { response, html, csrf: /name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? '' }
  }
  const discard = (headers: Record<string, string>) =>
    fetch(`${url}/api/dead-letters/discard`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ ids: ['0:0'] }),
    })
  return { url, page, discard, dir }
}

describe('vectorize dashboard server', () => {
  it('should refuse actions while dashboard.allow_actions is off', async (t) => {
    const d = await started(t, {})
    const { csrf } = await d.page()
    const refused = await d.discard({ 'x-csrf-token': csrf })
    assert.equal(refused.status, 403)
    assert.match(((await refused.json()) as { error: string }).error, /allow_actions/)
  })

  it("should refuse an action without the page's CSRF token or from another origin, and do it with both", async (t) => {
    const d = await started(t, { allow_actions: true })
    const { csrf } = await d.page()
    assert.ok(csrf.length > 20)
    assert.equal((await d.discard({})).status, 403, 'no token')
    assert.equal(
      (await d.discard({ 'x-csrf-token': 'x' + csrf.slice(1) })).status,
      403,
      'wrong token',
    )
    assert.equal(
      (await d.discard({ 'x-csrf-token': csrf, origin: 'http://evil.example' })).status,
      403,
    )
    const letters = async () =>
      (
        (await (await fetch(`${d.url}/api/dead-letters?state=all`)).json()) as {
          letters: { id: string; state: string }[]
        }
      ).letters
    assert.deepEqual(
      (await letters()).map((l) => l.state),
      ['pending', 'pending'],
      'nothing happened',
    )
    const done = await d.discard({ 'x-csrf-token': csrf, origin: d.url })
    assert.equal(done.status, 200)
    assert.deepEqual(((await done.json()) as { done: string[] }).done, ['0:0'])
    assert.deepEqual(
      (await letters()).map((l) => l.state),
      ['discarded', 'pending'],
    )
  })

  it('should answer only to its own loopback Host (DNS rebinding)', async (t) => {
    const d = await started(t, {})
    const port = new URL(d.url).port
    const { request } = await import('node:http')
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/snapshot',
          headers: { host: `rebound.example:${port}` },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.end()
    })
    assert.equal(status, 403)
  })

  it('should need its token for everything when one is set: once in the URL, then the cookie', async (t) => {
    const d = await started(t, { allow_actions: true, token: 'tok-8899' })
    assert.equal((await fetch(`${d.url}/api/snapshot`)).status, 401)
    assert.equal((await d.page()).response.status, 401)
    const login = await fetch(`${d.url}/?token=tok-8899`, { redirect: 'manual' })
    assert.equal(login.status, 303)
    assert.equal(login.headers.get('location'), '/', 'the token leaves the address bar')
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!
    const { csrf, html } = await d.page({ cookie })
    assert.ok(!html.includes('tok-8899'), 'the page never shows the token')
    assert.equal(
      (await d.discard({ 'x-csrf-token': csrf })).status,
      401,
      'CSRF token alone is not enough',
    )
    assert.equal((await d.discard({ 'x-csrf-token': csrf, cookie })).status, 200)
    assert.equal(
      (await d.discard({ 'x-csrf-token': csrf, authorization: 'Bearer tok-8899' })).status,
      200,
    )
  })

  it('should never show a configured password or API key', async (t) => {
    // a Redis that is not there, behind a password: its errors are shown, its password not
    const d = await started(
      t,
      { token: 'tok-1234' },
      { url: `redis://:${SECRETS[3]}@127.0.0.1:9/` },
    )
    const auth = { authorization: 'Bearer tok-1234' }
    const bodies = await Promise.all(
      ['/', '/api/config', '/api/snapshot', '/api/dead-letters?state=all'].map(async (p) =>
        (await fetch(`${d.url}${p}`, { headers: auth })).text(),
      ),
    )
    for (const body of bodies) {
      for (const secret of [...SECRETS, 'tok-1234'])
        assert.ok(!body.includes(secret), `${secret} shown`)
    }
    const config = JSON.parse(bodies[1]!) as {
      kafka: { sasl: { password: string } }
      dashboard: { token: string }
    }
    assert.equal(config.kafka.sasl.password, '***')
    assert.equal(config.dashboard.token, '***')
  })
})
