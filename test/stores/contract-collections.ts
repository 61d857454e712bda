/** Contract: ensureCollection, collections, health and close. */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  collectionName,
  opts,
  record,
  rejectsWith,
  spec,
  type ContractContext,
} from './contract-helpers.ts'

export function collectionContract(ctx: ContractContext): void {
  describe('ensureCollection', () => {
    it('ensureCollection should create an empty collection reported with its spec', async () => {
      const s = await ctx.collection({ dimensions: 7, distance: 'dot', model: 'm/x@q8' })
      const found = (await ctx.store.collections(opts)).find((c) => c.name === s.name)
      assert.deepEqual(found, { ...s, count: 0 })
      assert.equal(await ctx.store.count(s.name, opts), 0)
    })

    it('ensureCollection should be a no-op when called again with the same spec', async () => {
      const s = await ctx.collection()
      await ctx.store.upsert(s.name, [record('a', [1, 0, 0, 0]), record('b', [0, 1, 0, 0])], opts)
      await ctx.store.ensureCollection(s, opts)
      assert.equal(await ctx.store.count(s.name, opts), 2)
    })

    it('ensureCollection should create a collection once under concurrent calls', async () => {
      const s = spec()
      await Promise.all([1, 2, 3, 4].map(() => ctx.store.ensureCollection(s, opts)))
      const found = (await ctx.store.collections(opts)).filter((c) => c.name === s.name)
      assert.deepEqual(found, [{ ...s, count: 0 }])
    })

    it('ensureCollection should throw dimension_mismatch naming the collection and both sizes', async () => {
      const s = await ctx.collection({ dimensions: 384 })
      const err = await rejectsWith(
        ctx.store.ensureCollection({ ...s, dimensions: 768 }, opts),
        'dimension_mismatch',
        s.name,
        '384',
        '768',
      )
      assert.equal(err.retriable, false)
    })

    it('ensureCollection should throw model_mismatch naming both model identities', async () => {
      const s = await ctx.collection({ model: 'org/a@fp32' })
      const err = await rejectsWith(
        ctx.store.ensureCollection({ ...s, model: 'org/a@q8' }, opts),
        'model_mismatch',
        s.name,
        'org/a@fp32',
        'org/a@q8',
      )
      assert.equal(err.retriable, false)
    })

    // Names differ after the first letter: Weaviate capitalises a class name's first letter.
    it('ensureCollection should treat names case-sensitively', async () => {
      const base = collectionName()
      await ctx.store.ensureCollection(spec({ name: `${base}_ab`, dimensions: 3 }), opts)
      await ctx.store.ensureCollection(spec({ name: `${base}_AB`, dimensions: 5 }), opts)
      const all = await ctx.store.collections(opts)
      assert.equal(all.find((c) => c.name === `${base}_ab`)?.dimensions, 3)
      assert.equal(all.find((c) => c.name === `${base}_AB`)?.dimensions, 5)
    })

    it('ensureCollection should accept 63-character names and reject invalid ones', async () => {
      await ctx.collection({ name: collectionName().padEnd(63, 'x') })
      const invalid = [
        '',
        '1abc',
        '_abc',
        'a-b',
        'a b',
        "a'b",
        'é',
        collectionName().padEnd(64, 'x'),
      ]
      for (const bad of invalid) {
        await rejectsWith(ctx.store.ensureCollection(spec({ name: bad }), opts), 'store_rejected')
      }
    })
  })

  describe('collections, health and close', () => {
    it('collections should list every collection with its spec and count', async () => {
      const a = await ctx.collection({ dimensions: 4, distance: 'cosine', model: 'a@fp32' })
      const b = await ctx.collection({ dimensions: 2, distance: 'euclidean', model: 'b@q8' })
      await ctx.store.upsert(
        a.name,
        [record('1', [1, 0, 0, 0]), record('2', [0, 1, 0, 0]), record('3', [0, 0, 1, 0])],
        opts,
      )
      const all = await ctx.store.collections(opts)
      assert.deepEqual(
        all.find((c) => c.name === a.name),
        { ...a, count: 3 },
      )
      assert.deepEqual(
        all.find((c) => c.name === b.name),
        { ...b, count: 0 },
      )
    })

    it('health should resolve for a working store', async () => {
      await ctx.store.health(opts)
    })

    it('close should be idempotent and later calls should fail with store_unavailable', async () => {
      const s = await ctx.collection()
      await ctx.store.close()
      await ctx.store.close()
      await rejectsWith(ctx.store.count(s.name, opts), 'store_unavailable')
    })
  })
}
