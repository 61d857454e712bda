/**
 * The VectorStore contract and Weaviate-specific behaviour against a real Weaviate server
 * (scripts/services.sh up weaviate). Collection names are random; the classes stay on the server.
 */
import { describe } from 'node:test'
import { storeContract } from '../stores/contract.ts'
import { openWeaviate, skipWeaviate } from '../helpers/weaviate.ts'

describe('weaviate (real server)', { skip: skipWeaviate }, () => {
  storeContract('weaviate', async () => {
    const store = await openWeaviate()
    return { store, cleanup: () => store.close() }
  })
})
