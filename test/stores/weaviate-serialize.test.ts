/**
 * The synchronous serializer for weaviate-client's insertMany (src/stores/weaviate-serialize.ts):
 * it replaces the client's polling `Serialize.batchObjects` (one object per timer tick, a 500 ms
 * poll: every insertMany idled ≥ 0.5 s, issue 12) with one that gives the same result at once.
 * No server needed: this drives the client's own serialize module.
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { useSyncSerializer } from '../../src/stores/weaviate-serialize.ts'

type BatchObjects = (
  collection: string,
  objects: readonly unknown[],
  requiresInsertFix: boolean,
  tenant?: string,
) => Promise<{ batch: unknown[]; mapped: unknown[] }>

/** The client's Serialize class, from the module its entry point imports. */
async function clientSerialize(): Promise<{ batchObjects: BatchObjects }> {
  const entry = import.meta.resolve('weaviate-client')
  const module = (await import(new URL('./collections/serialize/index.js', entry).href)) as {
    Serialize: { batchObjects: BatchObjects }
  }
  return module.Serialize
}

const objects = [
  {
    id: '4b1e7a44-0c3c-4f7e-9a43-6a1c1f1a0001',
    properties: { recordId: 'a', chunkIndex: 0, ms_lang: '|fr|', mn_n: 0.5, mb_ok: true },
    vectors: [0.25, -1, 0.5, 0],
  },
  {
    id: '4b1e7a44-0c3c-4f7e-9a43-6a1c1f1a0002',
    properties: { recordId: 'b', chunkIndex: 1, text: 'two' },
    vectors: [1, 0, 0, 0],
  },
]

/** Whether `promise` settles before one turn of the event loop: no timer can fire before it. */
async function settlesAtOnce(promise: Promise<unknown>): Promise<boolean> {
  let settled = false
  promise.then(
    () => (settled = true),
    () => (settled = true),
  )
  await new Promise((resolve) => setImmediate(resolve))
  return settled
}

describe('weaviate-client insertMany serializer', () => {
  it('useSyncSerializer should make batchObjects answer at once with what the client made', async (t) => {
    const Serialize = await clientSerialize()
    const original = Serialize.batchObjects
    // With timers frozen, the client's own serializer cannot finish: it works on timer ticks.
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const frozen = await settlesAtOnce(original('Cls', objects, false))
    t.mock.timers.reset()
    assert.equal(frozen, false, 'the client’s own serializer waits for its 500 ms poll')
    const expected = await original('Cls', objects, false)

    assert.equal(await useSyncSerializer(), 'patched')
    assert.notEqual(Serialize.batchObjects, original, 'the client’s function was replaced')
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const answer = Serialize.batchObjects('Cls', objects, false)
    const atOnce = await settlesAtOnce(answer)
    t.mock.timers.reset()
    assert.equal(atOnce, true, 'no timer between the call and its result')
    assert.deepEqual(await answer, expected, 'the same objects and gRPC messages, in order')
    const fix = await Serialize.batchObjects('Cls', objects, true, 'tenant-a')
    assert.deepEqual(fix, await original('Cls', objects, true, 'tenant-a'))

    const patched = Serialize.batchObjects
    assert.equal(await useSyncSerializer(), 'patched')
    assert.equal(Serialize.batchObjects, patched, 'installed once')
  })

  it('the serializer should reject a call whose object cannot be serialised', async () => {
    await useSyncSerializer()
    const Serialize = await clientSerialize()
    // Only with the replacement in place: the client's own would never settle (see below).
    const marker = Symbol.for('vectorize.weaviate.syncBatchObjects')
    assert.equal((Serialize.batchObjects as unknown as Record<symbol, unknown>)[marker], true)
    // The client's own would throw this inside a timer: an uncaught exception, and a poll that
    // never ends.
    const bad = { id: objects[0]!.id, properties: {}, vectors: { named: 'not a vector' } }
    await assert.rejects(Serialize.batchObjects('Cls', [objects[0], bad], false), TypeError)
  })
})
