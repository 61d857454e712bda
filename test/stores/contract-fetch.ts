/** Contract: fetch (stored records by id, without vectors). */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FETCH_PIECE } from '../../src/stores/records.ts'
import type { StoredRecord } from '../../src/stores/store.ts'
import {
  collectionName,
  opts,
  plain,
  record,
  rejectsWith,
  type ContractContext,
} from './contract-helpers.ts'

/** Fetched records as plain JSON (metadata may have a null prototype). */
function fields(records: readonly StoredRecord[]): unknown {
  return plain(records)
}

export function fetchContract(ctx: ContractContext): void {
  describe('fetch', () => {
    it('fetch should return stored records with all their fields, without vectors, in the order of ids', async () => {
      const s = await ctx.collection()
      const metadata = { content_hash: 'h1', n: 2.5, ok: true, nested: { a: [1, 'x', null] } }
      const uuid = '6f1c0b9e-2a3d-5e4f-8a7b-1c2d3e4f5a6b'
      const a = record('a', [1, 0, 0, 0], {
        taskId: 't-1',
        documentId: 'doc/1',
        chunkIndex: 7,
        text: 'Bonjour\nle monde 😀',
        metadata,
      })
      const b = record(uuid, [0, 1, 0, 0], { documentId: 'doc/1', chunkIndex: 8 })
      await ctx.store.upsert(s.name, [a, b], opts)

      const got = await ctx.store.fetch(s.name, [uuid, 'unknown', 'a'], opts)
      assert.deepEqual(fields(got), [
        {
          id: uuid,
          taskId: 'task-1',
          documentId: 'doc/1',
          chunkIndex: 8,
          text: b.text,
          metadata: {},
        },
        { id: 'a', taskId: 't-1', documentId: 'doc/1', chunkIndex: 7, text: a.text, metadata },
      ])
      assert.ok(
        got.every((r) => !('vector' in r)),
        'no vector in a fetched record',
      )
    })

    it('fetch should return each stored id once, treat ids as data and return nothing for no ids', async () => {
      const s = await ctx.collection()
      const quoted = `it's "q" \\ x`
      await ctx.store.upsert(
        s.name,
        [record('a', [1, 0, 0, 0]), record(quoted, [0, 1, 0, 0])],
        opts,
      )
      const got = await ctx.store.fetch(
        s.name,
        [quoted, 'a', quoted, '', 'a', "x' OR '1'='1"],
        opts,
      )
      assert.deepEqual(
        got.map((r) => r.id),
        [quoted, 'a'],
      )
      assert.deepEqual(await ctx.store.fetch(s.name, [], opts), [])
    })

    it('fetch should see the latest write of an id and not a deleted one', async () => {
      const s = await ctx.collection()
      await ctx.store.upsert(s.name, [record('a', [1, 0, 0, 0], { metadata: { v: 1 } })], opts)
      await ctx.store.upsert(s.name, [record('a', [1, 0, 0, 0], { metadata: { v: 2 } })], opts)
      await ctx.store.upsert(s.name, [record('gone', [0, 1, 0, 0], { documentId: 'D' })], opts)
      assert.equal(await ctx.store.deleteDocument(s.name, 'D', 0, opts), 1)
      const got = await ctx.store.fetch(s.name, ['a', 'gone'], opts)
      assert.deepEqual(plain(got.map((r) => r.metadata)), [{ v: 2 }])
    })

    it(`fetch should read more ids than one piece (${FETCH_PIECE}) and keep their order`, async () => {
      const s = await ctx.collection()
      const n = FETCH_PIECE * 2 + 10
      const stored = Array.from({ length: n }, (_, i) =>
        record(`chunk-${i}`, [1, i, 0, 1], {
          documentId: 'big',
          chunkIndex: i,
          metadata: { content_hash: `h${i}` },
        }),
      )
      for (let i = 0; i < n; i += 200) {
        const { failed } = await ctx.store.upsert(s.name, stored.slice(i, i + 200), opts)
        assert.deepEqual(failed, [])
      }
      // Reversed, with unknown ids in between: every stored one comes back, in the asked order.
      const asked = stored.flatMap((r, i) => [r.id, `missing-${i}`]).reverse()
      const got = await ctx.store.fetch(s.name, asked, opts)
      assert.equal(got.length, n)
      assert.deepEqual(
        got.map((r) => r.id),
        stored.map((r) => r.id).reverse(),
      )
      for (const r of got) {
        const i = Number(r.id.slice('chunk-'.length))
        assert.equal(r.chunkIndex, i)
        assert.deepEqual(plain(r.metadata), { content_hash: `h${i}` })
      }
    })

    it('fetch should not return records of another collection', async () => {
      const [one, two] = [await ctx.collection(), await ctx.collection()]
      await ctx.store.upsert(one.name, [record('a', [1, 0, 0, 0])], opts)
      await ctx.store.upsert(two.name, [record('b', [0, 1, 0, 0])], opts)
      assert.deepEqual(
        (await ctx.store.fetch(two.name, ['a', 'b'], opts)).map((r) => r.id),
        ['b'],
      )
      assert.deepEqual(await ctx.store.fetch(one.name, ['b'], opts), [])
    })

    it('fetch should return [] for a missing collection', async () => {
      assert.deepEqual(await ctx.store.fetch(collectionName(), ['a', 'b'], opts), [])
    })

    it('fetch should reject an invalid collection name and an aborted signal', async () => {
      const s = await ctx.collection()
      await rejectsWith(ctx.store.fetch('bad name', ['a'], opts), 'store_rejected', 'bad name')
      await rejectsWith(
        ctx.store.fetch(s.name, ['a'], { signal: AbortSignal.abort() }),
        'cancelled',
      )
    })
  })
}
