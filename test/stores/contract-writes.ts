/** Contract: upsert (idempotent, per-record failures) and deleteDocument. */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  approx,
  collectionName,
  ids,
  opts,
  plain,
  record,
  rejectsWith,
  type ContractContext,
} from './contract-helpers.ts'

export function writeContract(ctx: ContractContext): void {
  describe('upsert', () => {
    it('upsert should store records that search returns with all their fields', async () => {
      const s = await ctx.collection()
      const metadata = { lang: 'fr', n: 2.5, ok: true, nested: { a: [1, 'x', null] }, s: 'é 😀' }
      const r = record('r1', [0, 0, 1, 0], {
        taskId: 't-42',
        documentId: 'doc/42',
        chunkIndex: 3,
        text: 'Bonjour\nle monde 😀',
        metadata,
      })
      assert.deepEqual(await ctx.store.upsert(s.name, [r], opts), { failed: [] })
      const hits = await ctx.search(s.name, [0, 0, 1, 0], 5)
      assert.equal(hits.length, 1)
      const { score, metadata: got, ...fields } = hits[0]!
      approx(score, 1, 'score')
      assert.deepEqual(fields, {
        id: 'r1',
        documentId: 'doc/42',
        chunkIndex: 3,
        taskId: 't-42',
        text: r.text,
      })
      assert.deepEqual(plain(got), metadata)
    })

    it('upsert should be idempotent by id, updating values in place', async () => {
      const s = await ctx.collection()
      const first = ['a', 'b', 'c'].map((id, i) => record(id, [1, i, 0, 0], { text: 'old' }))
      await ctx.store.upsert(s.name, first, opts)
      const second = ['a', 'b', 'c'].map((id) =>
        record(id, [0, 0, 0, 1], { text: `new ${id}`, chunkIndex: 9, metadata: { v: 2 } }),
      )
      await ctx.store.upsert(s.name, second, opts)
      await ctx.store.upsert(s.name, second, opts)
      assert.equal(await ctx.store.count(s.name, opts), 3)
      const hits = await ctx.search(s.name, [0, 0, 0, 1], 10)
      assert.deepEqual(ids(hits).sort(), ['a', 'b', 'c'])
      for (const hit of hits) {
        approx(hit.score, 1, `score of updated ${hit.id}`)
        assert.equal(hit.text, `new ${hit.id}`)
        assert.equal(hit.chunkIndex, 9)
        assert.deepEqual(plain(hit.metadata), { v: 2 })
      }
    })

    it('upsert should keep the last record when a batch repeats an id', async () => {
      const s = await ctx.collection()
      const batch = [
        record('x', [1, 0, 0, 0], { text: 'first' }),
        record('x', [1, 0, 0, 0], { text: 'last' }),
      ]
      assert.deepEqual(await ctx.store.upsert(s.name, batch, opts), { failed: [] })
      assert.equal(await ctx.store.count(s.name, opts), 1)
      assert.equal((await ctx.search(s.name, [1, 0, 0, 0], 5))[0]?.text, 'last')
    })

    it('upsert should report bad vectors per record and still write the others', async () => {
      const s = await ctx.collection()
      const batch = [
        record('ok0', [1, 0, 0, 0]),
        record('short', [1, 0, 0]),
        record('nan', [1, Number.NaN, 0, 0]),
        record('inf', [1, Number.POSITIVE_INFINITY, 0, 0]),
        record('ok4', [0, 1, 0, 0]),
      ]
      const { failed } = await ctx.store.upsert(s.name, batch, opts)
      const sorted = [...failed].sort((a, b) => a.index - b.index)
      assert.deepEqual(
        sorted.map((f) => [f.index, f.id]),
        [
          [1, 'short'],
          [2, 'nan'],
          [3, 'inf'],
        ],
      )
      for (const f of failed) assert.ok(f.reason.length > 0, `reason for ${f.id}`)
      assert.equal(await ctx.store.count(s.name, opts), 2)
      assert.deepEqual(ids(await ctx.search(s.name, [1, 1, 0, 0], 10)).sort(), ['ok0', 'ok4'])
    })

    it('upsert should do nothing for an empty list', async () => {
      const s = await ctx.collection()
      assert.deepEqual(await ctx.store.upsert(s.name, [], opts), { failed: [] })
      assert.equal(await ctx.store.count(s.name, opts), 0)
    })

    it('upsert should reject a missing collection with store_rejected naming it', async () => {
      const missing = collectionName()
      const err = await rejectsWith(
        ctx.store.upsert(missing, [record('a', [1, 0, 0, 0])], opts),
        'store_rejected',
        missing,
      )
      assert.equal(err.retriable, false)
    })

    it('upsert should reject with cancelled when the signal is already aborted', async () => {
      const s = await ctx.collection()
      const aborted = { signal: AbortSignal.abort() }
      await rejectsWith(ctx.store.upsert(s.name, [record('a', [1, 0, 0, 0])], aborted), 'cancelled')
      assert.equal(await ctx.store.count(s.name, opts), 0)
    })
  })

  describe('deleteDocument', () => {
    it("deleteDocument should remove a document's chunks from fromChunk on and return how many", async () => {
      const s = await ctx.collection()
      const chunks = (doc: string, n: number) =>
        Array.from({ length: n }, (_, i) =>
          record(`${doc}-${i}`, [1, i, 0, 0], { documentId: doc, chunkIndex: i }),
        )
      await ctx.store.upsert(s.name, [...chunks('A', 5), ...chunks('B', 3)], opts)
      assert.equal(await ctx.store.deleteDocument(s.name, 'A', 3, opts), 2)
      assert.equal(await ctx.store.count(s.name, opts), 6)
      const left = ids(await ctx.search(s.name, [1, 0, 0, 0], 20)).sort()
      assert.deepEqual(left, ['A-0', 'A-1', 'A-2', 'B-0', 'B-1', 'B-2'])
      assert.equal(await ctx.store.deleteDocument(s.name, 'A', 0, opts), 3)
      assert.equal(await ctx.store.deleteDocument(s.name, 'nope', 0, opts), 0)
      assert.equal(await ctx.store.count(s.name, opts), 3)
    })

    it('deleteDocument should treat the document id as data, never as query syntax', async () => {
      const s = await ctx.collection()
      await ctx.store.upsert(
        s.name,
        [record('a', [1, 0, 0, 0], { documentId: "it's" }), record('b', [0, 1, 0, 0])],
        opts,
      )
      assert.equal(await ctx.store.deleteDocument(s.name, "x' OR '1'='1", 0, opts), 0)
      assert.equal(await ctx.store.deleteDocument(s.name, 'x" OR "1"="1', 0, opts), 0)
      assert.equal(await ctx.store.count(s.name, opts), 2)
      assert.equal(await ctx.store.deleteDocument(s.name, "it's", 0, opts), 1)
      assert.deepEqual(ids(await ctx.search(s.name, [1, 1, 0, 0], 5)), ['b'])
    })
  })
}
