/**
 * The VectorStore contract suite: every adapter (LanceDB, Weaviate, Qdrant) runs it unchanged:
 *   storeContract('qdrant', async () => ({ store, cleanup: () => store.close() }))
 * `factory` is called once per test and `cleanup` after it; the store may already be closed then.
 * Collection names are random, so runs against a shared server never collide. The contract has
 * no way to drop a collection, so a remote store keeps the collections a run created.
 */
import { afterEach, beforeEach, describe } from 'node:test'
import type { CollectionSpec, FilterCondition, VectorStore } from '../../src/stores/store.ts'
import { collectionContract } from './contract-collections.ts'
import { fetchContract } from './contract-fetch.ts'
import { opts, spec, type ContractContext, type StoreHandle } from './contract-helpers.ts'
import { searchContract } from './contract-search.ts'
import { writeContract } from './contract-writes.ts'

export function storeContract(name: string, factory: () => Promise<StoreHandle>): void {
  describe(`${name} store contract`, () => {
    let handle: StoreHandle | undefined
    beforeEach(async () => {
      handle = await factory()
    })
    afterEach(async () => {
      await handle?.cleanup()
      handle = undefined
    })

    const ctx: ContractContext = {
      get store(): VectorStore {
        if (handle === undefined) throw new Error('no store: the factory failed')
        return handle.store
      },
      async collection(overrides: Partial<CollectionSpec> = {}) {
        const s = spec(overrides)
        await ctx.store.ensureCollection(s, opts)
        return s
      },
      search(c: string, vector: number[], k: number, filter?: FilterCondition[]) {
        return ctx.store.search(c, { vector: new Float32Array(vector), k, filter }, opts)
      },
    }

    collectionContract(ctx)
    writeContract(ctx)
    searchContract(ctx)
    fetchContract(ctx)
  })
}
