/**
 * Error classification of WeaviateStore without a Weaviate server: a port where nothing listens
 * (a stopped server), and a small HTTP server on 127.0.0.1 that answers like Weaviate's REST API
 * with the status codes under test. The gRPC port is always closed here.
 */
import * as assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it, type TestContext } from 'node:test'
import { silentLogger } from '../../src/observability/logger.ts'
import { WeaviateStore } from '../../src/stores/weaviate.ts'
import { classDefinition } from '../../src/stores/weaviate-schema.ts'
import { isTransientObjectError, translateWeaviateError } from '../../src/stores/weaviate-errors.ts'
import { VectorizeError } from '../../src/worker/errors.ts'
import { record, rejectsWith, spec } from './contract-helpers.ts'
import { recordedClass } from './fixtures/weaviate-class.ts'

const opts = { signal: new AbortController().signal }

/** A loopback port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function listen(t: TestContext, handler: Parameters<typeof createServer>[1]) {
  const server: Server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => server.close(resolve)))
  return (server.address() as AddressInfo).port
}

async function open(t: TestContext, httpPort: number, grpcPort: number, timeoutMs = 5_000) {
  const store = await WeaviateStore.create(
    {
      url: `http://127.0.0.1:${httpPort}`,
      grpc_port: grpcPort,
      api_key: '',
      tls: false,
      timeout_ms: timeoutMs,
      batch_size: 10,
    },
    { logger: silentLogger },
  )
  t.after(() => store.close())
  return store
}

describe('WeaviateStore errors', () => {
  it('WeaviateStore should report a stopped server as retriable store_unavailable on every call', async (t) => {
    const port = await closedPort()
    const store = await open(t, port, await closedPort())
    const s = spec()
    const calls: (() => Promise<unknown>)[] = [
      () => store.health(opts),
      () => store.ensureCollection(s, opts),
      () => store.upsert(s.name, [record('a', [1, 0, 0, 0])], opts),
      () => store.search(s.name, { vector: new Float32Array([1, 0, 0, 0]), k: 1 }, opts),
      () => store.deleteDocument(s.name, 'd', 0, opts),
      () => store.count(s.name, opts),
      () => store.collections(opts),
    ]
    for (const call of calls) {
      const err = await rejectsWith(call(), 'store_unavailable')
      assert.equal(err.retriable, true, err.message)
    }
  })

  it('WeaviateStore should treat 5xx and 429 as retriable, 4xx as a rejected request', async (t) => {
    let status = 503
    const port = await listen(t, (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: [{ message: `status ${status}` }] }))
    })
    const store = await open(t, port, await closedPort())
    for (const code of [500, 502, 503, 429]) {
      status = code
      const err = await rejectsWith(store.health(opts), 'store_unavailable', String(code))
      assert.equal(err.retriable, true)
    }
    status = 422
    const err = await rejectsWith(store.ensureCollection(spec(), opts), 'store_rejected', '422')
    assert.equal(err.retriable, false)
  })

  it('WeaviateStore should report an unreachable gRPC port as retriable store_unavailable', async (t) => {
    const s = spec()
    // A class as Weaviate 1.35.2 returned it, renamed to this spec's.
    const { class: cls, description } = classDefinition(s)
    const port = await listen(t, (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const body = req.url?.startsWith('/v1/schema/')
        ? { ...recordedClass, class: cls, description }
        : {}
      res.end(JSON.stringify(body))
    })
    // gRPC keeps trying a closed port until the call's deadline: the shortest, 1 s (the client
    // counts whole seconds; weaviate-connect.ts)
    const store = await open(t, port, await closedPort(), 1_000)
    await store.ensureCollection(s, opts)
    for (const call of [
      () => store.upsert(s.name, [record('a', [1, 0, 0, 0])], opts),
      () => store.search(s.name, { vector: new Float32Array([1, 0, 0, 0]), k: 1 }, opts),
    ]) {
      const err = await rejectsWith(call(), 'store_unavailable')
      assert.equal(err.retriable, true, err.message)
    }
  })

  it('isTransientObjectError should tell a restarting server from a rejected object', () => {
    // Reasons Weaviate 1.35.2 gave: right after a restart, and for a property of another type.
    assert.equal(isTransientObjectError('resolve node name "vectorize-weaviate" to host'), true)
    const rejected = "invalid text property 'mn_score' on class 'V_vt1': not a string, but float64"
    assert.equal(isTransientObjectError(rejected), false)
  })

  it('translateWeaviateError should retry a batch a restarted server refuses until its schema catches up', () => {
    // What Weaviate 1.35.2 answered a whole BatchObjects right after a restart (a long schema log
    // to replay): gRPC UNKNOWN, which without this would fail every task of the batch.
    class WeaviateBatchError extends Error {}
    const err = new WeaviateBatchError(
      'Batch objects insert failed with message: /weaviate.v1.Weaviate/BatchObjects UNKNOWN: error waiting for local schema to catch up to version 995: deadline exceeded for waiting for update: version got=994  want=995',
    )
    const translated = translateWeaviateError(err, 'upsert c')
    assert.equal(translated.code, 'store_unavailable')
    assert.equal(translated.retriable, true)
    const refused = new WeaviateBatchError(
      'Batch objects insert failed with message: /weaviate.v1.Weaviate/BatchObjects UNKNOWN: class V_x has no property mn_y',
    )
    assert.equal(translateWeaviateError(refused, 'upsert c').code, 'store_rejected')
  })

  it('translateWeaviateError should keep VectorizeErrors and call unknown errors internal', () => {
    const own = new VectorizeError('store_rejected', 'x')
    assert.equal(translateWeaviateError(own, 'a'), own)
    assert.equal(translateWeaviateError(new TypeError('bug'), 'a').code, 'internal')
  })
})
