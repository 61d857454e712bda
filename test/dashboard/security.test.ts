/**
 * Who may act on the dashboard, decided from the config as `vectorize dashboard` loads it (the
 * token from VECTORIZE_WORKER_DASHBOARD_TOKEN): the decision points are tested here without
 * binding anything beyond loopback.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadConfig } from '../../src/config/load.ts'
import { redactConfig } from '../../src/config/redact.ts'
import {
  checkStart,
  csrfHeader,
  Guard,
  isLoopback,
  type RequestFacts,
} from '../../src/dashboard/security.ts'

async function dashboard(env: Record<string, string>) {
  const { config } = await loadConfig({ env, flags: [], cwd: '/nonexistent' })
  return config.dashboard
}

const post = (headers: RequestFacts['headers']): RequestFacts => ({ method: 'POST', headers })

describe('dashboard security', () => {
  it('should refuse to start beyond loopback with actions allowed and no token', async () => {
    const open = await dashboard({
      VECTORIZE_WORKER_DASHBOARD_HOST: '0.0.0.0',
      VECTORIZE_WORKER_DASHBOARD_ALLOW_ACTIONS: 'true',
    })
    assert.throws(
      () => checkStart(open),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'config_invalid')
        assert.match(err.message, /dashboard\.token/)
        return true
      },
    )
    const withToken = await dashboard({
      VECTORIZE_WORKER_DASHBOARD_HOST: '0.0.0.0',
      VECTORIZE_WORKER_DASHBOARD_ALLOW_ACTIONS: 'true',
      VECTORIZE_WORKER_DASHBOARD_TOKEN: 's3cret-token',
    })
    checkStart(withToken)
    checkStart(await dashboard({ VECTORIZE_WORKER_DASHBOARD_HOST: '0.0.0.0' })) // read-only
    checkStart(await dashboard({ VECTORIZE_WORKER_DASHBOARD_ALLOW_ACTIONS: 'true' })) // loopback
  })

  it('should refuse actions while allow_actions is off, whatever else the request carries', async () => {
    const guard = new Guard(await dashboard({}))
    guard.bound(9465)
    const verdict = guard.authorizeAction(
      post({ host: '127.0.0.1:9465', [csrfHeader]: guard.csrfToken }),
    )
    assert.deepEqual(verdict.ok ? 'allowed' : [verdict.status, verdict.reason], [
      403,
      'actions are off: set dashboard.allow_actions: true to replay or discard',
    ])
  })

  it('should refuse actions without the token when bound beyond loopback, and allow them with it', async () => {
    const settings = await dashboard({
      VECTORIZE_WORKER_DASHBOARD_HOST: '10.1.2.3',
      VECTORIZE_WORKER_DASHBOARD_ALLOW_ACTIONS: 'true',
      VECTORIZE_WORKER_DASHBOARD_TOKEN: 's3cret-token',
    })
    const guard = new Guard(settings)
    guard.bound(9465)
    const base = { host: '10.1.2.3:9465', [csrfHeader]: guard.csrfToken }
    const refused = guard.authorizeAction(post(base))
    assert.equal(refused.ok ? 200 : refused.status, 401)
    const wrong = guard.authorizeAction(post({ ...base, authorization: 'Bearer nope' }))
    assert.equal(wrong.ok ? 200 : wrong.status, 401)
    assert.equal(guard.admit({ headers: { host: '10.1.2.3:9465' } }).ok, false, 'reads need it too')
    assert.deepEqual(
      guard.authorizeAction(post({ ...base, authorization: 'Bearer s3cret-token' })),
      { ok: true, via: 'token' },
    )
    // the cookie /?token= sets is as good as the token
    const cookie = guard.login('s3cret-token')
    assert.ok(cookie?.includes('HttpOnly') && cookie.includes('SameSite=Strict'))
    assert.equal(guard.login('nope'), undefined)
    const session = cookie!.split(';')[0]!
    assert.equal(guard.authorizeAction(post({ ...base, cookie: session })).ok, true)
  })

  it('should refuse actions without the CSRF token the page was served with, or from another origin', async () => {
    const guard = new Guard(await dashboard({ VECTORIZE_WORKER_DASHBOARD_ALLOW_ACTIONS: 'true' }))
    guard.bound(9465)
    const host = '127.0.0.1:9465'
    const status = (headers: RequestFacts['headers']) => {
      const v = guard.authorizeAction(post({ host, ...headers }))
      return v.ok ? 200 : v.status
    }
    assert.equal(status({}), 403, 'no CSRF token')
    assert.equal(status({ [csrfHeader]: 'forged' }), 403, 'a wrong one')
    assert.equal(
      status({ [csrfHeader]: new Guard(await dashboard({})).csrfToken }),
      403,
      "another process's",
    )
    assert.equal(
      status({ [csrfHeader]: guard.csrfToken, origin: 'http://evil.example' }),
      403,
      'cross-origin',
    )
    assert.equal(
      status({ [csrfHeader]: guard.csrfToken, 'sec-fetch-site': 'cross-site' }),
      403,
      'cross-site',
    )
    assert.equal(
      status({
        [csrfHeader]: guard.csrfToken,
        origin: `http://${host}`,
        'sec-fetch-site': 'same-origin',
      }),
      200,
    )
    const get = guard.authorizeAction({
      method: 'GET',
      headers: { host, [csrfHeader]: guard.csrfToken },
    })
    assert.equal(get.ok, false, 'actions are POSTs')
  })

  it('should refuse every request whose Host is not loopback while bound to loopback (DNS rebinding)', async () => {
    const guard = new Guard(await dashboard({}))
    guard.bound(9465)
    for (const host of ['127.0.0.1:9465', 'localhost:9465', '[::1]:9465']) {
      assert.equal(guard.admit({ headers: { host } }).ok, true, host)
    }
    for (const host of ['attacker.example:9465', '127.0.0.1:80', undefined]) {
      const verdict = guard.admit({ headers: { host } })
      assert.equal(verdict.ok ? 200 : verdict.status, 403, String(host))
    }
  })

  it('should tell loopback addresses from the others', () => {
    for (const h of ['127.0.0.1', '127.5.6.7', 'localhost', '::1', '[::1]'])
      assert.ok(isLoopback(h), h)
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', 'example.com', '128.0.0.1'])
      assert.ok(!isLoopback(h), h)
  })

  it('should redact the token wherever the config is shown', async () => {
    const { config } = await loadConfig({
      env: { VECTORIZE_WORKER_DASHBOARD_TOKEN: 's3cret-token' },
      flags: [],
      cwd: '/nonexistent',
    })
    assert.ok(!JSON.stringify(redactConfig(config)).includes('s3cret-token'))
  })
})
