/**
 * The VectorStore contract and Weaviate-specific behaviour against a real Weaviate server
 * (scripts/services.sh up weaviate). Collection names are random; the classes stay on the server.
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import weaviate from 'weaviate-client'
import { storeContract } from '../stores/contract.ts'
import { record, rejectsWith, spec } from '../stores/contract-helpers.ts'
import { className } from '../../src/stores/weaviate-names.ts'
import { openWeaviate, skipWeaviate, weaviateConfig } from '../helpers/weaviate.ts'
import { skipUnless } from '../helpers/skip.ts'

const opts = { signal: new AbortController().signal }

/** A plain SDK client on the test server, closed after the test. */
async function sdk(t: { after: (fn: () => Promise<void>) => void }) {
  const config = weaviateConfig()
  const url = new URL(config.url)
  const client = await weaviate.connectToCustom({
    httpHost: url.hostname,
    httpPort: Number(url.port),
    grpcHost: url.hostname,
    grpcPort: config.grpc_port,
  })
  t.after(() => client.close())
  return client
}

describe('weaviate (real server)', { skip: skipUnless(skipWeaviate) }, () => {
  storeContract('weaviate', async () => {
    const store = await openWeaviate()
    return { store, cleanup: () => store.close() }
  })

  describe('WeaviateStore', () => {
    it('WeaviateStore should report an object the server rejects as failed with its reason and write the others', async (t) => {
      const store = await openWeaviate()
      t.after(() => store.close())
      const s = spec()
      await store.ensureCollection(s, opts)
      // Another tool defined the property vectorize uses for numeric `score` as text: the server
      // refuses a number there, for that object only.
      const client = await sdk(t)
      await client.collections
        .use(className(s.name))
        .config.addProperty({ name: 'mn_score', dataType: 'text' })
      const batch = [
        record('ok1', [1, 0, 0, 0]),
        record('bad', [0, 1, 0, 0], { metadata: { score: 0.5 } }),
        record('ok2', [0, 0, 1, 0], { metadata: { lang: 'en' } }),
      ]
      const { failed } = await store.upsert(s.name, batch, opts)
      assert.deepEqual(
        failed.map((f) => [f.index, f.id]),
        [[1, 'bad']],
      )
      assert.match(failed[0]!.reason, /mn_score/, failed[0]!.reason)
      assert.equal(await store.count(s.name, opts), 2)
      const hits = await store.search(
        s.name,
        { vector: new Float32Array([1, 1, 1, 1]), k: 5 },
        opts,
      )
      assert.deepEqual(hits.map((h) => h.id).sort(), ['ok1', 'ok2'])
    })

    it('WeaviateStore should write batches in flight together and map rejections to their records', async (t) => {
      const store = await openWeaviate({ batch_size: 3, concurrency: 2 })
      t.after(() => store.close())
      const s = spec()
      await store.ensureCollection(s, opts)
      const client = await sdk(t)
      await client.collections
        .use(className(s.name))
        .config.addProperty({ name: 'mn_score', dataType: 'text' })
      // Three new metadata fields at once (their properties are added together), and two records
      // in different batches that the server refuses.
      const batch = Array.from({ length: 20 }, (_, i) =>
        record(i === 4 || i === 17 ? `bad${i}` : `r${i}`, [1, i, 0, 0], {
          metadata:
            i === 4 || i === 17
              ? { score: 0.5 }
              : { lang: i % 2 === 0 ? 'fr' : 'en', n: i, even: i % 2 === 0 },
        }),
      )
      const { failed } = await store.upsert(s.name, batch, opts)
      assert.deepEqual(
        failed.map((f) => [f.index, f.id]),
        [
          [4, 'bad4'],
          [17, 'bad17'],
        ],
      )
      assert.equal(await store.count(s.name, opts), 18)
      const query = { vector: new Float32Array([1, 1, 0, 0]), k: 20 }
      const even = await store.search(
        s.name,
        { ...query, filter: [{ field: 'even', op: 'eq', value: true }] },
        opts,
      )
      assert.equal(even.length, 9)
      const low = await store.search(
        s.name,
        {
          ...query,
          filter: [
            { field: 'n', op: 'lt', value: 3 },
            { field: 'lang', op: 'eq', value: 'fr' },
          ],
        },
        opts,
      )
      assert.deepEqual(low.map((h) => h.id).sort(), ['r0', 'r2'])
    })

    it('WeaviateStore should keep the model identity in the class for other workers to compare', async (t) => {
      const first = await openWeaviate()
      t.after(() => first.close())
      const s = spec({ dimensions: 3, distance: 'euclidean', model: 'org/m@q8' })
      await first.ensureCollection(s, opts)
      const other = await openWeaviate()
      t.after(() => other.close())
      await other.ensureCollection(s, opts)
      await rejectsWith(
        other.ensureCollection({ ...s, model: 'org/m@fp32' }, opts),
        'model_mismatch',
        'org/m@q8',
      )
      await rejectsWith(other.ensureCollection({ ...s, dimensions: 4 }, opts), 'dimension_mismatch')
      const client = await sdk(t)
      const config = await client.collections.export(className(s.name))
      assert.equal(config.vectorizers.default?.indexConfig.distance, 'l2-squared')
    })

    it('WeaviateStore should see metadata fields another worker added', async (t) => {
      const [a, b] = [await openWeaviate(), await openWeaviate()]
      t.after(() => Promise.all([a.close(), b.close()]).then(() => undefined))
      const s = spec()
      await a.ensureCollection(s, opts)
      await b.ensureCollection(s, opts)
      await b.search(s.name, { vector: new Float32Array([1, 0, 0, 0]), k: 1 }, opts)
      await a.upsert(s.name, [record('x', [1, 0, 0, 0], { metadata: { tag: 'new' } })], opts)
      const hits = await b.search(
        s.name,
        {
          vector: new Float32Array([1, 0, 0, 0]),
          k: 5,
          filter: [{ field: 'tag', op: 'eq', value: 'new' }],
        },
        opts,
      )
      assert.deepEqual(
        hits.map((h) => h.id),
        ['x'],
      )
    })

    it('WeaviateStore should fetch nothing from a class dropped behind its back', async (t) => {
      const store = await openWeaviate()
      t.after(() => store.close())
      const s = spec()
      await store.ensureCollection(s, opts)
      await store.upsert(s.name, [record('a', [1, 0, 0, 0])], opts)
      assert.deepEqual(
        (await store.fetch(s.name, ['a'], opts)).map((r) => r.id),
        ['a'],
      )
      await (await sdk(t)).collections.delete(className(s.name))
      assert.deepEqual(await store.fetch(s.name, ['a'], opts), [])
    })
  })
})
