/**
 * QdrantStore: the store contract against the stand-in (always, when the API description is
 * present; on Qdrant Edge in the e2e tier: test/e2e/stores/qdrant-edge.test.ts) and against a
 * real server when QDRANT_URL is set, e.g.
 *   docker compose up -d qdrant && QDRANT_URL=http://127.0.0.1:6333 npm test
 * (QDRANT_API_KEY too if the server wants one)
 * plus what the contract cannot show: per-point refusals, request bounds, error classes.
 */
import * as assert from 'node:assert/strict'
import { tmpdir } from 'node:os'
import { describe, it } from 'node:test'
import { stores } from '../../src/stores/index.ts'
import { loadConfig } from '../../src/config/load.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { storeContract } from './contract.ts'
import { FETCH_PIECE } from '../../src/stores/records.ts'
import { ids, opts, record, rejectsWith, spec } from './contract-helpers.ts'
import { noOpenApi, openStore, STAND_IN_KEY, standInFor, standInHandle } from './qdrant-helpers.ts'
import { skipUnless } from '../helpers/skip.ts'

if (noOpenApi === false) {
  storeContract('qdrant (stand-in)', () => standInHandle())
} else {
  describe('qdrant (stand-in) store contract', { skip: skipUnless(noOpenApi) }, () => {})
}

const realUrl = process.env.QDRANT_URL
if (realUrl !== undefined && realUrl !== '') {
  storeContract(`qdrant (${realUrl})`, async () => {
    const key = process.env.QDRANT_API_KEY ?? ''
    const headers: Record<string, string> = key === '' ? {} : { 'api-key': key }
    // a user's server: the collections a test made go again (raw HTTP: the store has no drop, and
    // some tests close it)
    const names = async () => {
      const res = await fetch(`${realUrl}/collections`, { headers })
      const body = (await res.json()) as { result: { collections: { name: string }[] } }
      return body.result.collections.map((c) => c.name)
    }
    const before = new Set(await names())
    const store = await openStore(realUrl, { api_key: key })
    const cleanup = async () => {
      await store.close()
      for (const name of (await names()).filter((n) => !before.has(n) && n.startsWith('Vt'))) {
        const url = `${realUrl}/collections/${encodeURIComponent(name)}`
        await fetch(url, { method: 'DELETE', headers })
      }
    }
    return { store, cleanup }
  })
}

describe('QdrantStore', { skip: skipUnless(noOpenApi) }, () => {
  it('QdrantStore should report a point the server refuses and write the others', async (t) => {
    // The server takes 64 KiB per request; the store would send all five in one request.
    const { store, standIn } = await standInFor(t, {}, { maxRequestBytes: 64 * 1024 })
    const s = spec()
    await store.ensureCollection(s, opts)
    const batch = ['a', 'b', 'big', 'c', 'd'].map((id, i) =>
      record(id, [1, i, 0, 0], { text: id === 'big' ? 'x'.repeat(100_000) : id }),
    )
    const { failed } = await store.upsert(s.name, batch, opts)
    assert.deepEqual(
      failed.map((f) => [f.index, f.id]),
      [[2, 'big']],
    )
    assert.match(failed[0]!.reason, /larger than allowed/, 'the reason is the server’s')
    assert.equal(await store.count(s.name, opts), 4)
    const found = ids(
      await store.search(s.name, { vector: new Float32Array([1, 1, 0, 0]), k: 9 }, opts),
    )
    assert.deepEqual(found.sort(), ['a', 'b', 'c', 'd'])
    const upserts = standIn.requests.filter((r) => r.template.endsWith('/points'))
    assert.ok(upserts.length > 2, `the refused request was split (${upserts.length} requests)`)
  })

  it('QdrantStore should keep every upsert request within the byte and count bounds', async (t) => {
    const maxBytes = 16 * 1024
    const { store, standIn } = await standInFor(t, { max_batch_bytes: maxBytes, batch_size: 7 })
    const s = spec()
    await store.ensureCollection(s, opts)
    const small = Array.from({ length: 20 }, (_, i) => record(`s${i}`, [1, i, 0, 0]))
    assert.deepEqual(await store.upsert(s.name, small, opts), { failed: [] })
    const countBound = standIn.requests.filter((r) => r.template.endsWith('/points'))
    assert.equal(countBound.length, 3, '20 points at 7 per request')

    const large = Array.from({ length: 40 }, (_, i) =>
      record(`l${i}`, [0, 1, i, 0], { text: 'y'.repeat(2000) }),
    )
    const before = standIn.requests.length
    assert.deepEqual(await store.upsert(s.name, large, opts), { failed: [] })
    const sent = standIn.requests.slice(before).filter((r) => r.template.endsWith('/points'))
    assert.ok(sent.length >= 6, `~80 KB cut into requests (${sent.length})`)
    for (const r of sent) assert.ok(r.bytes <= maxBytes, `a request of ${r.bytes} bytes`)
    assert.equal(await store.count(s.name, opts), 60)
  })

  it('QdrantStore should have at most `concurrency` write requests in flight', async (t) => {
    const { store, standIn } = await standInFor(
      t,
      { batch_size: 5, concurrency: 2 },
      { upsertDelayMs: 20 },
    )
    const s = spec()
    await store.ensureCollection(s, opts)
    const batch = Array.from({ length: 60 }, (_, i) => record(`c${i}`, [1, i, 0, 0]))
    await Promise.all([store.upsert(s.name, batch, opts), store.upsert(s.name, batch, opts)])
    assert.equal(standIn.requests.filter((r) => r.template.endsWith('/points')).length, 24)
    assert.ok(standIn.maxInFlight <= 2, `${standIn.maxInFlight} upsert requests at once`)
    assert.equal(await store.count(s.name, opts), 60)
  })

  it('QdrantStore should keep the model identity in the collection for other stores to see', async (t) => {
    const { store, standIn } = await standInFor(t)
    const s = spec({ model: 'org/m@q8', distance: 'euclidean', dimensions: 3 })
    await store.ensureCollection(s, opts)
    const other = await openStore(standIn.url, { api_key: STAND_IN_KEY })
    t.after(() => other.close())
    assert.deepEqual(
      (await other.collections(opts)).find((c) => c.name === s.name),
      { ...s, count: 0 },
    )
    await rejectsWith(other.ensureCollection({ ...s, model: 'org/m@fp32' }, opts), 'model_mismatch')
  })

  it('QdrantStore should settle a lost creation race by comparing with the winner', async (t) => {
    const { store, standIn } = await standInFor(t)
    const s = spec()
    await store.ensureCollection(s, opts)
    // Another worker saw no collection (404) and created it after: its create gets 409.
    const other = await openStore(standIn.url, { api_key: STAND_IN_KEY })
    t.after(() => other.close())
    standIn.failNext(404)
    await other.ensureCollection(s, opts)
    standIn.failNext(404)
    await rejectsWith(other.ensureCollection({ ...s, model: 'other@fp32' }, opts), 'model_mismatch')
    const creates = standIn.requests.filter((r) => r.method === 'PUT' && r.template.endsWith('}'))
    assert.equal(creates.length, 3, 'the later two creations were refused, not applied')
    assert.deepEqual(
      (await other.collections(opts)).filter((c) => c.name === s.name),
      [{ ...s, count: 0 }],
    )
  })

  it('QdrantStore should refuse a collection that vectorize did not create', async (t) => {
    const { store, standIn } = await standInFor(t)
    const name = spec().name
    const res = await fetch(`${standIn.url}/collections/${name}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'api-key': STAND_IN_KEY },
      body: JSON.stringify({ vectors: { size: 4, distance: 'Cosine' } }),
    })
    assert.equal(res.status, 200)
    await rejectsWith(store.ensureCollection(spec({ name }), opts), 'store_rejected', name)
    assert.equal(
      (await store.collections(opts)).find((c) => c.name === name),
      undefined,
    )
  })

  it('QdrantStore should fetch ids in pieces and stop at a missing collection', async (t) => {
    const { store, standIn } = await standInFor(t)
    const s = spec()
    await store.ensureCollection(s, opts)
    await store.upsert(s.name, [record('a', [1, 0, 0, 0])], opts)
    const retrieves = () =>
      standIn.requests.filter((r) => r.method === 'POST' && r.template.endsWith('/points'))
    const asked = Array.from({ length: FETCH_PIECE * 2 + 5 }, (_, i) => `id-${i}`)
    const got = await store.fetch(s.name, [...asked, 'a'], opts)
    assert.deepEqual(ids(got), ['a'])
    assert.equal(retrieves().length, 3, `${asked.length + 1} ids at ${FETCH_PIECE} per request`)
    assert.deepEqual(await store.fetch('Missing', asked, opts), [])
    assert.equal(retrieves().length, 4, 'one request finds the collection missing')
  })

  it('QdrantStore should ask for answers uncompressed on every call', async (t) => {
    // Qdrant gzips what the client accepts so and writes a body over ~1 KiB apart from its
    // headers; the body then waits for the client's delayed ACK: search p50 45 ms instead of 4 ms
    // on a real 1.19 server. The stand-in gzips too, so the store reads a gzipped answer if asked.
    const { store, standIn } = await standInFor(t)
    const s = spec()
    await store.ensureCollection(s, opts)
    await store.upsert(s.name, [record('a', [1, 0, 0, 0])], opts)
    await store.search(s.name, { vector: new Float32Array([1, 0, 0, 0]), k: 1 }, opts)
    await store.fetch(s.name, ['a'], opts)
    await store.count(s.name, opts)
    await store.health(opts)
    const asked = new Set(standIn.requests.map((r) => `${r.template} ${r.acceptEncoding}`))
    const compressed = [...asked].filter((line) => !line.endsWith(' identity'))
    assert.deepEqual(compressed, [], 'requests that let Qdrant compress the answer')
    assert.ok(standIn.requests.length >= 6)
  })
})

describe('QdrantStore errors without a server', () => {
  it('QdrantStore should call a closed loopback port store_unavailable and retriable', async () => {
    const { createServer } = await import('node:net')
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    await new Promise((resolve) => server.close(resolve))
    const store = await openStore(`http://127.0.0.1:${port}`)
    for (const call of [store.health(opts), store.count('Vtx', opts)]) {
      const err = await rejectsWith(call, 'store_unavailable', 'ECONNREFUSED')
      assert.equal(err.retriable, true)
    }
  })
})

describe('QdrantStore errors', { skip: skipUnless(noOpenApi) }, () => {
  it('QdrantStore should retry 5xx and 429 answers and not 400 ones', async (t) => {
    const { store, standIn } = await standInFor(t)
    const s = spec()
    await store.ensureCollection(s, opts)
    // 401/403 too: a wrong API key is an operator's fix, not a reason to dead-letter every task.
    for (const status of [500, 503, 429, 401, 403]) {
      standIn.failNext(status)
      const err = await rejectsWith(store.count(s.name, opts), 'store_unavailable', String(status))
      assert.equal(err.retriable, true)
    }
    standIn.failNext(503)
    const write = store.upsert(s.name, [record('a', [1, 0, 0, 0])], opts)
    assert.equal((await rejectsWith(write, 'store_unavailable')).retriable, true)
    standIn.failNext(400)
    const err = await rejectsWith(store.count(s.name, opts), 'store_rejected', '400')
    assert.equal(err.retriable, false)
    assert.equal(await store.count(s.name, opts), 0)
  })

  it('QdrantStore should call a request that outlives timeout_ms retriable', async (t) => {
    const { store, standIn } = await standInFor(t, { timeout_ms: 300 })
    standIn.stallNext()
    const err = await rejectsWith(store.health(opts), 'store_unavailable', 'in time')
    assert.equal(err.retriable, true)
  })

  it('QdrantStore should call a request aborted by its signal cancelled', async (t) => {
    const { store, standIn } = await standInFor(t)
    standIn.stallNext()
    const controller = new AbortController()
    const pending = store.health({ signal: controller.signal })
    controller.abort()
    await rejectsWith(pending, 'cancelled')
  })
})

describe('Qdrant stand-in', { skip: skipUnless(noOpenApi) }, () => {
  it('the stand-in should answer bad requests as Qdrant does and record them', async (t) => {
    const { standIn } = await standInFor(t)
    const put = (body: unknown) =>
      fetch(`${standIn.url}/collections/Vtbad`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'api-key': STAND_IN_KEY },
        body: JSON.stringify(body),
      })
    const message = async (res: Response) =>
      ((await res.json()) as { status: { error: string } }).status.error
    // A type error fails deserialisation: 400, not 422.
    const wrongType = await put({ vectors: { size: 'four', distance: 'Cosine' } })
    assert.equal(wrongType.status, 400)
    assert.match(await message(wrongType), /^Format error in JSON body: /)
    // A broken rule (ef_construct ≥ 4) is the only kind of 422 ...
    const broken = await put({
      vectors: { size: 4, distance: 'Cosine' },
      hnsw_config: { ef_construct: 0 },
    })
    assert.equal(broken.status, 422)
    assert.match(await message(broken), /^Validation error in JSON body: /)
    // ... but a size of 0 fails deserialisation (a non-zero type; Qdrant 1.19.0 answers 400)
    const zero = await put({ vectors: { size: 0, distance: 'Cosine' } })
    assert.equal(zero.status, 400)
    assert.match(await message(zero), /^Format error in JSON body: /)
    assert.equal(standIn.violations.length, 3, standIn.violations.join('\n'))
    // An unknown field is ignored: the collection is created, and the field recorded all the same.
    const misspelt = await put({ vectors: { size: 4, distance: 'Cosine' }, shards: 2 })
    assert.equal(misspelt.status, 200)
    assert.equal(standIn.violations.length, 4, standIn.violations.join('\n'))
    assert.match(standIn.violations[3]!, /shards/)
    standIn.violations.length = 0 // seen; the cleanup asserts none are left
    assert.equal((await put({ vectors: { size: 4, distance: 'Cosine' } })).status, 409)
  })

  it('the stand-in should want its API key everywhere but where Qdrant does not', async (t) => {
    const { standIn } = await standInFor(t)
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${standIn.url}${path}`, { headers })
    const missing = await get('/collections')
    assert.equal(missing.status, 401)
    assert.equal(await missing.text(), 'Must provide an API key or an Authorization bearer token')
    const wrong = await get('/collections', { 'api-key': 'wrong' })
    assert.equal(wrong.status, 401)
    assert.equal(await wrong.text(), 'Invalid API key or JWT')
    assert.equal((await get('/collections', { 'api-key': STAND_IN_KEY })).status, 200)
    const bearer = { authorization: `Bearer ${STAND_IN_KEY}` }
    assert.equal((await get('/collections', bearer)).status, 200)
    assert.equal((await get('/', { 'api-key': 'wrong' })).status, 200, 'GET / needs no key')
  })
})

describe('store registry', () => {
  it('stores.qdrant should build a QdrantStore from vector_databases.qdrant', async () => {
    const env = { VECTORIZE_WORKER_VECTOR_DATABASES_QDRANT_URL: 'http://127.0.0.1:1' }
    const { config } = await loadConfig({ env, flags: [], cwd: tmpdir() })
    assert.equal(config.vector_databases.qdrant.url, 'http://127.0.0.1:1')
    const store = await stores.qdrant(config.vector_databases, { logger: silentLogger })
    assert.equal(store.kind, 'qdrant')
    await store.close()
  })
})
