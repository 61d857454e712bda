/**
 * `vectorize worker` with Qdrant as its store, end to end on the stand-in (qdrant-under-test.ts):
 * /ready says the store is not ready when the API key is wrong (before, `GET /` answered without a
 * key and called it ready while every write got 401); with the right key, submitted tasks are
 * stored once each, the configured payload index is created with the collection and a filtered
 * `vectorize search` uses it instead of scanning.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createWorkspace, describeRun, submitAndDrain } from '../../helpers/cli.ts'
import { qdrantEnv, qdrantUnderTest, skipQdrant } from '../../helpers/qdrant-under-test.ts'
import { waitUntil } from '../../helpers/wait.ts'
import { skipUnless } from '../../helpers/skip.ts'

const LANGS = ['en', 'fr', 'de']

describe('vectorize worker on Qdrant (stand-in)', { skip: skipUnless(skipQdrant) }, () => {
  it('should answer /ready 503 naming the store when the Qdrant API key is wrong', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const { standIn } = await qdrantUnderTest((fn) => t.after(fn))
    const bg = ws.start(['worker'], { env: qdrantEnv(standIn, 'wrong-key') })
    let stderr = ''
    bg.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    let url: string | undefined
    await waitUntil(
      () => 'the worker to log its HTTP address',
      () => (url = /"url":"(http:[^"]+)"/.exec(stderr)?.[1]) !== undefined,
      { timeoutMs: 60_000, check: () => assert.equal(bg.child.exitCode, null, 'worker exited') },
    )
    let last = { status: 0, body: '' }
    await waitUntil(
      () => `/ready to fail on the store; last answer ${last.status} ${last.body}`,
      async () => {
        const res = await fetch(`${url}/ready`)
        last = { status: res.status, body: await res.text() }
        return last.status === 503 && /401/.test(last.body)
      },
      { timeoutMs: 60_000 },
    )
    assert.match(last.body, /store/)
    assert.match(last.body, /api_key/)
  })

  it('should store each task once and search by metadata through a payload index', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const store = await qdrantUnderTest((fn) => t.after(fn))
    const collection = store.collection('docs')
    const env = {
      ...store.env(),
      VECTORIZE_WORKER_VECTOR_DATABASES_QDRANT_PAYLOAD_INDEXES: 'lang:keyword',
    }
    const tasks = Array.from({ length: 12 }, (_, i) => ({
      task_id: `q-${i}`,
      type: 'text',
      collection,
      text: `tide table number ${i}`,
      metadata: { lang: LANGS[i % 3] },
    }))
    const file = join(ws.dir, 'tasks.jsonl')
    await writeFile(file, tasks.map((task) => JSON.stringify(task)).join('\n') + '\n')
    await submitAndDrain(ws, file, env)

    const stored = await store.records(ws, collection)
    assert.deepEqual(stored.map((r) => r.taskId).sort(), tasks.map((task) => task.task_id).sort())
    const indexes = store.standIn.indexes.filter((i) => i.collection === collection)
    assert.deepEqual(
      indexes.map((i) => `${i.field} ${i.type}`),
      ['document_id keyword', 'chunk_index integer', 'metadata.lang keyword'],
    )
    const args = ['search', 'tide table', '-c', collection, '-k', '10', '-f', 'lang=fr']
    const result = await ws.run(['--json', ...args], { env })
    assert.equal(result.code, 0, describeRun(args, result))
    const hits = JSON.parse(result.stdout) as { metadata: { lang: string } }[]
    assert.equal(hits.length, 4)
    assert.ok(
      hits.every((h) => h.metadata.lang === 'fr'),
      result.stdout,
    )
    assert.deepEqual(store.standIn.unindexedFilters, [], 'the filter had an index')
    assert.deepEqual(store.standIn.violations, [], 'requests follow the API description')
  })
})
