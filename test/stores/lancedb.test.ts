import * as assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, describe, it } from 'node:test'
import { connect } from '@lancedb/lancedb'
import { silentLogger } from '../../src/observability/logger.ts'
import { LanceDbStore } from '../../src/stores/lancedb.ts'
import { storeContract } from './contract.ts'
import { record, rejectsWith, spec } from './contract-helpers.ts'

const opts = { signal: new AbortController().signal }

/** A temp directory removed after this file's tests. */
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-lancedb-'))
  after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

function open(path: string): Promise<LanceDbStore> {
  return LanceDbStore.create({ path }, { logger: silentLogger })
}

storeContract('lancedb', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-lancedb-'))
  const store = await open(dir)
  return {
    store,
    async cleanup() {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
})

describe('LanceDbStore', () => {
  it('LanceDbStore should keep data and collection identity after reopening from disk', async () => {
    const dir = await tempDir()
    const s = spec({ dimensions: 3, distance: 'dot', model: 'org/m@q8' })
    const first = await open(dir)
    await first.ensureCollection(s, opts)
    await first.upsert(s.name, [record('a', [1, 0, 0]), record('b', [0, 1, 0])], opts)
    await first.close()

    const second = await open(dir)
    assert.deepEqual(await second.collections(opts), [{ ...s, count: 2 }])
    await second.ensureCollection(s, opts)
    await rejectsWith(
      second.ensureCollection({ ...s, model: 'org/m@fp32' }, opts),
      'model_mismatch',
    )
    await rejectsWith(second.ensureCollection({ ...s, dimensions: 4 }, opts), 'dimension_mismatch')
    await rejectsWith(second.ensureCollection({ ...s, distance: 'cosine' }, opts), 'store_rejected')
    await second.upsert(s.name, [record('a', [0, 0, 1], { text: 'again' })], opts)
    assert.equal(await second.count(s.name, opts), 2)
    const hits = await second.search(s.name, { vector: new Float32Array([0, 0, 1]), k: 1 }, opts)
    assert.equal(hits[0]?.text, 'again')
    await second.close()
  })

  // Two handles on one table, writes strictly serialised: without checkoutLatest() before each
  // mergeInsert the second handle matches against a stale manifest and inserts duplicates.
  it('LanceDbStore should never duplicate ids when two stores on one directory take turns (lancedb#3377)', async () => {
    const dir = await tempDir()
    const s = spec()
    const [a, b] = [await open(dir), await open(dir)]
    await a.ensureCollection(s, opts)
    await b.ensureCollection(s, opts)
    const batch = (round: number) =>
      Array.from({ length: 20 }, (_, i) =>
        record(`id${i}`, [1, i, round, 1], { text: `r${round}` }),
      )
    for (let round = 0; round < 6; round++) {
      await (round % 2 === 0 ? a : b).upsert(s.name, batch(round), opts)
    }
    const fresh = await open(dir)
    assert.equal(await fresh.count(s.name, opts), 20, 'one row per id on disk')
    // Reads through either handle see the other's writes (readConsistencyInterval: 0).
    for (const store of [a, b]) {
      const hits = await store.search(
        s.name,
        { vector: new Float32Array([1, 1, 1, 1]), k: 100 },
        opts,
      )
      assert.deepEqual(new Set(hits.map((h) => h.text)), new Set(['r5']))
    }
    await Promise.all([a.close(), b.close(), fresh.close()])
  })

  it('LanceDbStore should never duplicate ids under concurrent upserts from one store', async () => {
    const store = await open(await tempDir())
    const s = spec()
    await store.ensureCollection(s, opts)
    const batch = Array.from({ length: 50 }, (_, i) => record(`id${i}`, [1, i, 0, 1]))
    const results = await Promise.all(
      Array.from({ length: 8 }, () => store.upsert(s.name, batch, opts)),
    )
    assert.ok(results.every((r) => r.failed.length === 0))
    assert.equal(await store.count(s.name, opts), 50)
    await store.close()
  })

  it('LanceDbStore should keep a stored __proto__ key as own data of a null-prototype object', async () => {
    const store = await open(await tempDir())
    const s = spec()
    await store.ensureCollection(s, opts)
    const metadata = JSON.parse('{"__proto__":{"polluted":"yes"},"a":{"b":1}}') as Record<
      string,
      unknown
    >
    await store.upsert(s.name, [record('p', [1, 0, 0, 0], { metadata })], opts)
    const [hit] = await store.search(s.name, { vector: new Float32Array([1, 0, 0, 0]), k: 1 }, opts)
    const restored = hit!.metadata as Record<string, Record<string, unknown>>
    assert.equal(Object.getPrototypeOf(restored), null)
    assert.equal(Object.getPrototypeOf(restored.a), null)
    assert.ok(Object.hasOwn(restored, '__proto__'))
    assert.equal(restored['__proto__']!.polluted, 'yes')
    await store.close()
  })

  it('LanceDbStore should report a zero vector in a cosine collection as a failed record', async () => {
    const store = await open(await tempDir())
    const s = spec()
    await store.ensureCollection(s, opts)
    const { failed } = await store.upsert(
      s.name,
      [record('z', [0, 0, 0, 0]), record('a', [1, 0, 0, 0])],
      opts,
    )
    assert.deepEqual(
      failed.map((f) => f.id),
      ['z'],
    )
    assert.equal(await store.count(s.name, opts), 1)
    await store.close()
  })

  it('LanceDbStore health should throw store_unavailable once the directory is gone', async () => {
    const dir = await tempDir()
    const store = await open(dir)
    await store.health(opts)
    await rm(dir, { recursive: true })
    const err = await rejectsWith(store.health(opts), 'store_unavailable', dir)
    assert.equal(err.retriable, true)
    await writeFile(dir, 'not a directory')
    await rejectsWith(store.health(opts), 'store_unavailable', dir)
    await store.close()
  })

  it('LanceDbStore.create should throw store_unavailable when the path is a file', async () => {
    const file = join(await tempDir(), 'file')
    await writeFile(file, 'x')
    await rejectsWith(open(file), 'store_unavailable', file)
  })

  it('LanceDbStore collections should skip tables vectorize did not create', async () => {
    const dir = await tempDir()
    const db = await connect(dir)
    await db.createTable('foreign', [{ id: 1, vector: [1, 2] }])
    db.close()
    const store = await open(dir)
    const s = spec()
    await store.ensureCollection(s, opts)
    assert.deepEqual(await store.collections(opts), [{ ...s, count: 0 }])
    await rejectsWith(store.count('foreign', opts), 'store_rejected', 'foreign')
    await store.close()
  })
})

describe('LanceDbStore across processes', () => {
  it('should never duplicate ids when two worker processes upsert the same ids at once', async () => {
    const dir = await tempDir()
    const store = await open(dir)
    await store.ensureCollection(spec({ name: 'shared', dimensions: 8 }), opts)
    const child = fileURLToPath(new URL('./fixtures/upsert.ts', import.meta.url))
    const run = (tag: string) =>
      new Promise<number | null>((resolve) => {
        const p = spawn(process.execPath, [child, dir, '300', tag], {
          stdio: ['ignore', 'ignore', 'inherit'],
        })
        p.on('exit', resolve)
      })
    assert.deepEqual(await Promise.all([run('a'), run('b')]), [0, 0])
    assert.equal(await store.count('shared', opts), 300)
    const table = await (await connect(dir)).openTable('shared')
    const ids = (await table.query().select(['id']).toArray()) as { id: string }[]
    assert.equal(new Set(ids.map((r) => r.id)).size, ids.length, 'no id appears twice')
    await store.close()
  })
})
