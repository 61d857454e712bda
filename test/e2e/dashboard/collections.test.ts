/**
 * The dashboard's Collections view on real parts: images ingested with the generated CLIP model
 * into LanceDB, then `vectorize dashboard` (a child process) lists the collection and searches it
 * by text with the collection's own model. Image hits carry a thumbnail only where the dashboard
 * may read their source under the same `content.allowed_roots` as the workers.
 */
import * as assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import sharp from 'sharp'
import type { CollectionsView, SearchHitView } from '../../../src/dashboard/api-types.ts'
import { createWorkspace, describeRun } from '../../helpers/cli.ts'
import { startDashboard } from '../../helpers/dashboard.ts'
import { solidImage } from '../../helpers/images.ts'

describe('dashboard collections', () => {
  it(
    'should list collections and search images by text, with thumbnails only from allowed roots',
    { timeout: 240_000 },
    async (t) => {
      const ws = await createWorkspace((fn) => t.after(fn))
      const pics = join(ws.dir, 'pics')
      await mkdir(pics)
      await writeFile(join(pics, 'red.png'), await solidImage([255, 0, 0], 'png', 300, 200))
      await writeFile(join(pics, 'blue.jpg'), await solidImage([0, 0, 255], 'jpeg'))
      const args = ['ingest', pics, '--image-model', 'vectorize-test/clip-tiny']
      const ingested = await ws.run(args, { timeoutMs: 180_000 })
      assert.equal(ingested.code, 0, describeRun(args, ingested))

      const search = async (env: Record<string, string>) => {
        const dashboard = await startDashboard(ws, env)
        try {
          const list = (await (
            await fetch(`${dashboard.url}/api/collections`)
          ).json()) as CollectionsView
          const images = list.collections.find((c) => c.name === 'documents_images')
          assert.equal(images?.count, 2)
          assert.match(images.model, /^vectorize-test\/clip-tiny@/)
          const response = await fetch(
            `${dashboard.url}/api/collections/documents_images/search?q=red&k=2`,
          )
          assert.equal(response.status, 200, await response.clone().text())
          return (await response.json()) as SearchHitView[]
        } finally {
          dashboard.process.child.kill('SIGTERM')
          await dashboard.process.exited
        }
      }

      const allowed = await search({ VECTORIZE_WORKER_CONTENT_ALLOWED_ROOTS: pics })
      assert.equal(
        allowed[0]?.documentId.endsWith('red.png'),
        true,
        JSON.stringify(allowed.map((h) => h.documentId)),
      )
      const thumb = allowed[0]?.thumbnail ?? ''
      assert.match(thumb, /^data:image\/jpeg;base64,/)
      const meta = await sharp(Buffer.from(thumb.split(',')[1]!, 'base64')).metadata()
      assert.deepEqual(
        [meta.format, meta.width, meta.height],
        ['jpeg', 96, 64],
        'a small JPEG, aspect kept',
      )

      const refused = await search({})
      assert.deepEqual(
        refused.map((h) => h.thumbnail),
        [undefined, undefined],
        'no allowed root: no thumbnail',
      )
    },
  )
})
