/** Contract: search scores, k, prefiltering, filter semantics and safe metadata. */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FilterCondition } from '../../src/stores/store.ts'
import {
  approx,
  collectionName,
  ids,
  opts,
  record,
  rejectsWith,
  type ContractContext,
} from './contract-helpers.ts'
import { filterCases, filterRecords } from './contract-filters.ts'

export function searchContract(ctx: ContractContext): void {
  describe('search', () => {
    it('search should sort by cosine similarity, score it as such and respect k', async () => {
      const s = await ctx.collection()
      const rs = [
        record('same', [2, 0, 0, 0]),
        record('diag', [1, 1, 0, 0]),
        record('ortho', [0, 3, 0, 0]),
        record('opp', [-1, 0, 0, 0]),
      ]
      await ctx.store.upsert(s.name, rs, opts)
      const hits = await ctx.search(s.name, [1, 0, 0, 0], 3)
      assert.deepEqual(ids(hits), ['same', 'diag', 'ortho'])
      approx(hits[0]!.score, 1, 'same')
      approx(hits[1]!.score, Math.SQRT1_2, 'diag')
      approx(hits[2]!.score, 0, 'ortho')
      approx((await ctx.search(s.name, [1, 0, 0, 0], 4))[3]!.score, -1, 'opposite')
    })

    it('search should score dot collections by dot product and euclidean by negated distance', async () => {
      const dot = await ctx.collection({ distance: 'dot' })
      await ctx.store.upsert(
        dot.name,
        [record('a', [1, 0, 0, 0]), record('b', [2, 1, 0, 0]), record('c', [0, 0, 3, 0])],
        opts,
      )
      const d = await ctx.search(dot.name, [1, 1, 0, 0], 3)
      assert.deepEqual(ids(d), ['b', 'a', 'c'])
      d.forEach((h, i) => approx(h.score, [3, 1, 0][i]!, `dot ${h.id}`))
      const l2 = await ctx.collection({ distance: 'euclidean' })
      await ctx.store.upsert(
        l2.name,
        [record('near', [1, 1, 0, 0]), record('far', [4, 5, 0, 0])],
        opts,
      )
      const e = await ctx.search(l2.name, [1, 0, 0, 0], 2)
      assert.deepEqual(ids(e), ['near', 'far'])
      e.forEach((h, i) => approx(h.score, [-1, -Math.hypot(3, 5)][i]!, `euclidean ${h.id}`))
    })

    it('search should apply filters inside the search, not to the unfiltered top-k', async () => {
      const s = await ctx.collection()
      const near = Array.from({ length: 40 }, (_, i) =>
        record(`near${i}`, [1, i / 100, 0, 0], { metadata: { tag: 'common' } }),
      )
      const far = Array.from({ length: 3 }, (_, i) =>
        record(`far${i}`, [0, 0, i / 100, 1], { metadata: { tag: 'rare' } }),
      )
      await ctx.store.upsert(s.name, [...near, ...far], opts)
      const unfiltered = ids(await ctx.search(s.name, [1, 0, 0, 0], 3))
      assert.ok(
        unfiltered.every((id) => id.startsWith('near')),
        'the rare rows are not in the top-k',
      )
      const filtered = await ctx.search(s.name, [1, 0, 0, 0], 3, [
        { field: 'tag', op: 'eq', value: 'rare' },
      ])
      assert.deepEqual(ids(filtered).sort(), ['far0', 'far1', 'far2'])
    })

    it('search should filter on strings, numbers and booleans with eq, ne, gt, gte, lt, lte, ANDed', async () => {
      const s = await ctx.collection()
      await ctx.store.upsert(s.name, filterRecords, opts)
      for (const { filter, expected } of filterCases) {
        const got = ids(await ctx.search(s.name, [1, 1, 1, 1], 10, filter)).sort()
        assert.deepEqual(got, expected, JSON.stringify(filter))
      }
    })

    it('search should reject invalid filter fields, ops and values', async () => {
      const s = await ctx.collection()
      await ctx.store.upsert(s.name, [record('a', [1, 0, 0, 0], { metadata: { n: 1 } })], opts)
      const bad: FilterCondition[] = [
        { field: 'a b', op: 'eq', value: 'x' },
        { field: "n' OR '1'='1", op: 'eq', value: 'x' },
        { field: 'nested.a', op: 'eq', value: 'x' },
        { field: 'n', op: 'gt', value: 'x' },
        { field: 'n', op: 'like' as 'eq', value: 'x' },
        { field: 'n', op: 'gt', value: Number.NaN },
      ]
      for (const condition of bad) {
        await rejectsWith(ctx.search(s.name, [1, 0, 0, 0], 5, [condition]), 'store_rejected')
      }
    })

    it('search should restore metadata without polluting any prototype', async () => {
      const s = await ctx.collection()
      const metadata = JSON.parse(
        '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"safe":1}',
      ) as Record<string, unknown>
      await ctx.store.upsert(s.name, [record('p', [1, 0, 0, 0], { metadata })], opts)
      const [hit] = await ctx.search(s.name, [1, 0, 0, 0], 1)
      const restored = hit!.metadata as Record<string, unknown>
      assert.equal(restored.safe, 1)
      assert.equal(restored.polluted, undefined, 'metadata inherits nothing from stored keys')
      assert.ok([null, Object.prototype].includes(Object.getPrototypeOf(restored) as object | null))
      assert.equal(
        ({} as Record<string, unknown>).polluted,
        undefined,
        'Object.prototype untouched',
      )
    })

    it('search should throw dimension_mismatch for a query vector of another size', async () => {
      const s = await ctx.collection()
      await rejectsWith(ctx.search(s.name, [1, 0, 0], 5), 'dimension_mismatch', s.name)
    })

    it('search and count should reject a missing collection with store_rejected naming it', async () => {
      const missing = collectionName()
      await rejectsWith(ctx.search(missing, [1, 0, 0, 0], 5), 'store_rejected', missing)
      await rejectsWith(ctx.store.count(missing, opts), 'store_rejected', missing)
      await rejectsWith(ctx.store.deleteDocument(missing, 'd', 0, opts), 'store_rejected', missing)
    })
  })
}
