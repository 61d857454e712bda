/**
 * Guarded URL downloads against loopback servers only. Forbidden addresses other than loopback
 * (metadata, private, a name resolving to a private address) are tested at the guard's address
 * decision, which comes before any socket exists: no packet ever leaves for them.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { parseNetworks } from '../../src/content/addresses.ts'
import {
  fetchUrl,
  resolveTarget,
  type FetchLimits,
  type Resolver,
} from '../../src/content/fetch.ts'
import type { VectorizeError } from '../../src/worker/errors.ts'
import { body, chunked, redirect, stall, testServer, type TestServer } from '../helpers/http.ts'
import { closedPort } from '../helpers/net.ts'

const limits: FetchLimits = {
  allowed_schemes: ['http', 'https'],
  url_allow_networks: ['127.0.0.1/32'],
  max_fetch_bytes: 10_000,
  fetch_timeout_ms: 2_000,
  max_redirects: 3,
}

const refused = (code: string, says?: RegExp) => (err: VectorizeError) => {
  assert.equal(err.code, code, err.message)
  assert.equal(err.retriable, false)
  if (says) assert.match(err.message, says)
  return true
}

/** A resolver that must not be asked (literal addresses need no DNS). */
const noDns: Resolver = () => assert.fail('the resolver was asked for a literal address')

describe('fetchUrl', () => {
  let server: TestServer
  /** A loopback server outside the allowed network: it must never see a connection. */
  let forbidden: TestServer

  before(async () => {
    forbidden = await testServer({ '/secret': body('secret') }, '127.0.0.2')
    const at = forbidden.origin
    server = await testServer({
      '/ok': body('hello'),
      '/to-ok': redirect('/ok'),
      '/to-forbidden': redirect(`${at}/secret`),
      '/to-metadata': redirect('http://169.254.169.254/latest/meta-data/'),
      '/to-https-private': redirect('https://10.0.0.1/admin', 301),
      '/to-file': redirect('file:///etc/passwd'),
      '/hop1': redirect('/hop2', 307),
      '/hop2': redirect('/hop3', 308),
      '/hop3': redirect('/ok', 303),
      '/hop0': redirect('/hop1'),
      '/big': body(Buffer.alloc(20_000)),
      '/big-chunked': chunked(20_000),
      '/stall': stall(),
      '/stall-headers': () => undefined,
      '/gone': (_req, res) => res.writeHead(404).end(),
      '/broken': (_req, res) => res.writeHead(503).end(),
    })
  })
  after(async () => {
    await server.close()
    await forbidden.close()
  })

  it('should download from an allowed loopback server and follow redirects that stay allowed', async () => {
    const direct = await fetchUrl(`${server.origin}/ok`, limits, { resolve: noDns })
    assert.equal(direct.bytes.toString(), 'hello')
    const redirected = await fetchUrl(`${server.origin}/hop1`, limits, { resolve: noDns })
    assert.equal(redirected.bytes.toString(), 'hello')
    assert.equal(redirected.url, `${server.origin}/ok`)
  })

  it('should connect a host name only to the addresses it checked', async () => {
    const asked: string[] = []
    const resolve: Resolver = (host) => (asked.push(host), Promise.resolve(['127.0.0.1']))
    const got = await fetchUrl(`http://images.test:${server.port}/ok`, limits, { resolve })
    assert.equal(got.bytes.toString(), 'hello')
    assert.deepEqual(asked, ['images.test'])
  })

  it('should refuse loopback addresses outside the allowed networks, in every spelling, without connecting', async () => {
    const before = server.connections()
    const open = { ...limits, url_allow_networks: [] }
    for (const url of [
      `${server.origin}/ok`,
      `http://[::1]:${server.port}/ok`,
      `http://2130706433:${server.port}/ok`,
      `http://0x7f000001:${server.port}/ok`,
      `http://0177.0.0.1:${server.port}/ok`,
      `http://127.1:${server.port}/ok`,
      `http://[::ffff:127.0.0.1]:${server.port}/ok`,
      `http://[::ffff:7f00:1]:${server.port}/ok`,
      `http://0.0.0.0:${server.port}/ok`,
    ])
      await assert.rejects(fetchUrl(url, open, { resolve: noDns }), refused('url_not_allowed'), url)
    assert.equal(server.connections(), before)
  })

  it('should refuse a redirect to an address outside the allowed networks, and never reach it', async () => {
    await assert.rejects(
      fetchUrl(`${server.origin}/to-forbidden`, limits, { resolve: noDns }),
      refused('url_not_allowed', /127\.0\.0\.2 is a loopback address/),
    )
    for (const path of ['/to-metadata', '/to-https-private'])
      await assert.rejects(
        fetchUrl(`${server.origin}${path}`, limits, { resolve: noDns }),
        refused('url_not_allowed'),
        path,
      )
    await assert.rejects(
      fetchUrl(`${server.origin}/to-file`, limits, { resolve: noDns }),
      refused('url_not_allowed', /scheme file/),
    )
    assert.equal(forbidden.connections(), 0)
  })

  it('should stop after content.max_redirects redirects', async () => {
    const three = await fetchUrl(`${server.origin}/hop1`, limits, { resolve: noDns })
    assert.equal(three.bytes.toString(), 'hello')
    await assert.rejects(
      fetchUrl(`${server.origin}/hop0`, limits, { resolve: noDns }),
      refused('too_many_redirects', /more than content.max_redirects \(3\)/),
    )
    await assert.rejects(
      fetchUrl(`${server.origin}/to-ok`, { ...limits, max_redirects: 0 }, { resolve: noDns }),
      refused('too_many_redirects'),
    )
  })

  it('should refuse a body over content.max_fetch_bytes, with and without Content-Length', async () => {
    for (const path of ['/big', '/big-chunked'])
      await assert.rejects(
        fetchUrl(`${server.origin}${path}`, limits, { resolve: noDns }),
        refused('input_too_large', /over content.max_fetch_bytes \(10000\)/),
        path,
      )
  })

  it('should give up on a server that stalls, before or after the headers, and on a resolver that hangs', async () => {
    const quick = { ...limits, fetch_timeout_ms: 300 }
    for (const path of ['/stall', '/stall-headers'])
      await assert.rejects(
        fetchUrl(`${server.origin}${path}`, quick, { resolve: noDns }),
        refused('fetch_timeout', /content.fetch_timeout_ms \(300 ms\)/),
        path,
      )
    const hangingDns: Resolver = () => new Promise(() => undefined)
    await assert.rejects(
      fetchUrl('https://slow-dns.example/a.png', quick, { resolve: hangingDns }),
      refused('fetch_timeout'),
    )
  })

  it('should fail HTTP errors and refused connections as data errors', async () => {
    await assert.rejects(
      fetchUrl(`${server.origin}/gone`, limits, { resolve: noDns }),
      refused('fetch_failed', /HTTP 404/),
    )
    await assert.rejects(
      fetchUrl(`${server.origin}/broken`, limits, { resolve: noDns }),
      refused('fetch_failed', /HTTP 503/),
    )
    const port = await closedPort()
    await assert.rejects(
      fetchUrl(`http://127.0.0.1:${port}/`, limits, { resolve: noDns }),
      refused('fetch_failed', /ECONNREFUSED/),
    )
  })

  it('should refuse schemes other than the allowed ones, and URLs with credentials', async () => {
    for (const url of [
      'file:///etc/passwd',
      'gopher://127.0.0.1:70/_x',
      'data:image/png;base64,iVBORw0KGgo=',
      'ftp://127.0.0.1/x.png',
      'javascript:alert(1)',
    ])
      await assert.rejects(
        fetchUrl(url, limits, { resolve: noDns }),
        refused('url_not_allowed'),
        url,
      )
    const httpsOnly = { ...limits, allowed_schemes: ['https'] }
    await assert.rejects(
      fetchUrl(`${server.origin}/ok`, httpsOnly, { resolve: noDns }),
      refused('url_not_allowed', /scheme http:/),
    )
    await assert.rejects(
      fetchUrl(`http://user:pw@127.0.0.1:${server.port}/ok`, limits, { resolve: noDns }),
      refused('url_not_allowed', /credentials/),
    )
  })
})

describe('the address decision (resolveTarget)', () => {
  const allow = parseNetworks(['127.0.0.1/32'])
  const decide = (url: string, resolve: Resolver = noDns) =>
    resolveTarget(new URL(url), allow, resolve)

  it('should refuse metadata, private and other non-public literal addresses', async () => {
    for (const [url, range] of [
      ['http://169.254.169.254/latest/meta-data/', 'linkLocal'],
      ['http://10.0.0.1/', 'private'],
      ['https://192.168.1.1/', 'private'],
      ['http://172.16.5.4/', 'private'],
      ['http://100.64.0.1/', 'carrierGradeNat'],
      ['http://224.0.0.1/', 'multicast'],
      ['http://255.255.255.255/', 'broadcast'],
      ['http://[fe80::1]/', 'linkLocal'],
      ['http://[fd00::1]/', 'uniqueLocal'],
      ['http://[::ffff:169.254.169.254]/', 'linkLocal'],
      ['http://[::ffff:a00:1]/', 'private'],
      ['http://[64:ff9b::a00:1]/', 'rfc6052'],
      ['http://[2002:a00:1::]/', '6to4'],
      ['http://[::]/', 'unspecified'],
    ] as const)
      await assert.rejects(decide(url), (err: VectorizeError) => {
        assert.equal(err.code, 'url_not_allowed')
        assert.equal(err.details.range, range, url)
        return true
      })
  })

  it('should refuse a host name when any address it resolves to is not allowed', async () => {
    for (const answer of [
      ['10.0.0.1'],
      ['127.0.0.2'],
      ['93.184.216.34', '169.254.169.254'],
      ['::1'],
    ])
      await assert.rejects(
        decide('https://rebind.example/', () => Promise.resolve(answer)),
        refused('url_not_allowed', /rebind\.example is refused/),
        answer.join(','),
      )
  })

  it('should allow public unicast addresses and the allowed networks', async () => {
    const publicName = await decide('https://cdn.example/', () =>
      Promise.resolve(['93.184.216.34', '2606:4700::1111']),
    )
    assert.deepEqual(
      publicName.addresses.map((a) => a.address),
      ['93.184.216.34', '2606:4700::1111'],
    )
    const allowed = await decide('http://127.0.0.1:8080/')
    assert.deepEqual(allowed.addresses, [{ address: '127.0.0.1', family: 4 }])
  })

  it('should fail a name that does not resolve as a data error', async () => {
    await assert.rejects(
      decide('https://nowhere.example/', () =>
        Promise.reject(Object.assign(new Error('x'), { code: 'ENOTFOUND' })),
      ),
      refused('fetch_failed', /ENOTFOUND/),
    )
  })
})
