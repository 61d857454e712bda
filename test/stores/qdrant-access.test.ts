/**
 * QdrantStore against a server that wants an API key, and the payload indexes that filtered
 * searches use (`vector_databases.qdrant.payload_indexes`), on the stand-in (which checks keys
 * as Qdrant does and logs index creation and unindexed filters).
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FilterCondition } from '../../src/stores/store.ts'
import { opts, record, rejectsWith, spec } from './contract-helpers.ts'
import { noOpenApi, openStore, STAND_IN_KEY, standInFor } from './qdrant-helpers.ts'
import { skipUnless } from '../helpers/skip.ts'

const byLang: FilterCondition[] = [{ field: 'lang', op: 'eq', value: 'fr' }]
const byN: FilterCondition[] = [{ field: 'n', op: 'lt', value: 3 }]
const indexed = [
  { field: 'lang', type: 'keyword' },
  { field: 'n', type: 'float' },
] as const

function records() {
  return Array.from({ length: 6 }, (_, i) =>
    record(`r${i}`, [1, i, 0, 0], { metadata: { lang: i % 2 === 0 ? 'fr' : 'en', n: i } }),
  )
}

describe('QdrantStore readiness', { skip: skipUnless(noOpenApi) }, () => {
  it('QdrantStore health should fail with a wrong API key, as every write then would', async (t) => {
    const { standIn } = await standInFor(t)
    const wrong = await openStore(standIn.url, { api_key: 'not-the-key' })
    t.after(() => wrong.close())
    // GET / answers without a key: a check on it would call this store ready.
    assert.equal((await fetch(standIn.url, { headers: { 'api-key': 'x' } })).status, 200)
    const err = await rejectsWith(wrong.health(opts), 'store_unavailable', '401')
    assert.match(err.message, /vector_databases\.qdrant\.api_key/)
    assert.equal(err.retriable, true)
    const none = await openStore(standIn.url)
    t.after(() => none.close())
    await rejectsWith(none.health(opts), 'store_unavailable', 'Must provide an API key')
    const right = await openStore(standIn.url, { api_key: STAND_IN_KEY })
    t.after(() => right.close())
    await right.health(opts)
  })
})

describe('QdrantStore payload indexes', { skip: skipUnless(noOpenApi) }, () => {
  it('QdrantStore should index the configured metadata fields when it creates a collection', async (t) => {
    const { store, standIn } = await standInFor(t, { payload_indexes: indexed })
    const s = spec()
    await store.ensureCollection(s, opts)
    assert.deepEqual(
      standIn.indexes.filter((i) => i.collection === s.name).map((i) => `${i.field} ${i.type}`),
      ['document_id keyword', 'chunk_index integer', 'metadata.lang keyword', 'metadata.n float'],
    )
    await store.upsert(s.name, records(), opts)
    const query = new Float32Array([1, 1, 0, 0])
    const fr = await store.search(s.name, { vector: query, k: 10, filter: byLang }, opts)
    assert.deepEqual(fr.map((h) => h.id).sort(), ['r0', 'r2', 'r4'])
    const low = await store.search(s.name, { vector: query, k: 10, filter: byN }, opts)
    assert.deepEqual(low.map((h) => h.id).sort(), ['r0', 'r1', 'r2'])
    await store.deleteDocument(s.name, 'doc-r0', 0, opts)
    assert.deepEqual(standIn.unindexedFilters, [], 'every filtered key had an index')
  })

  it('QdrantStore should add configured indexes to a collection that lacks them', async (t) => {
    const { store, standIn } = await standInFor(t)
    const s = spec()
    await store.ensureCollection(s, opts)
    await store.upsert(s.name, records(), opts)
    await store.search(
      s.name,
      { vector: new Float32Array([1, 0, 0, 0]), k: 3, filter: byLang },
      opts,
    )
    assert.deepEqual(standIn.unindexedFilters, [`${s.name}: metadata.lang`], 'a scan without it')
    const later = await openStore(standIn.url, { api_key: STAND_IN_KEY, payload_indexes: indexed })
    t.after(() => later.close())
    await later.ensureCollection(s, opts)
    const added = standIn.indexes.filter((i) => i.collection === s.name).map((i) => i.field)
    assert.deepEqual(added, ['document_id', 'chunk_index', 'metadata.lang', 'metadata.n'])
    standIn.unindexedFilters.length = 0
    await later.search(
      s.name,
      { vector: new Float32Array([1, 0, 0, 0]), k: 3, filter: byLang },
      opts,
    )
    assert.deepEqual(standIn.unindexedFilters, [])
    await later.ensureCollection(s, opts)
    assert.equal(standIn.indexes.length, 4, 'an index that exists is not created again')
  })
})
