/**
 * Image tasks end to end through the real CLI on the embedded queue: sharp-made images embedded by
 * the generated CLIP model's vision tower, found by text through its text tower; and the attacks
 * on the content guards, each a `failed` status with its code and nothing stored.
 */
import assert from 'node:assert/strict'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { before, describe, it } from 'node:test'
import { createWorkspace, submitAndDrain, suiteCleanup, type Workspace } from '../../helpers/cli.ts'
import { pngBomb, solidImage, type Format, type Rgb } from '../../helpers/images.ts'
import { foldStatusLog } from '../../helpers/queue-files.ts'

const CLIP = 'vectorize-test/clip-tiny'

interface Hit {
  documentId: string
  text: string
  metadata: Record<string, unknown>
}

const good: readonly [string, Rgb, Format][] = [
  ['red', [255, 0, 0], 'png'],
  ['green', [0, 255, 0], 'jpeg'],
  ['blue', [0, 0, 255], 'webp'],
  ['yellow', [255, 255, 0], 'gif'],
  ['magenta', [255, 0, 255], 'tiff'],
]

const image = (task_id: string, source: Record<string, string>, extra = {}) =>
  JSON.stringify({ version: 1, task_id, type: 'image', model: CLIP, image: source, ...extra })

describe('image tasks through the CLI', () => {
  let ws: Workspace
  let root: string
  const cleanup = suiteCleanup()

  before(async () => {
    ws = await createWorkspace(cleanup)
    root = join(ws.dir, 'images')
    const outside = join(ws.dir, 'secret')
    await Promise.all([mkdir(root), mkdir(outside)])
    const lines: string[] = []
    for (const [name, rgb, format] of good) {
      await writeFile(join(root, `${name}.${format}`), await solidImage(rgb, format))
      lines.push(image(name, { path: join(root, `${name}.${format}`) }, { id: name }))
    }
    const cyan = (await solidImage([0, 255, 255], 'png')).toString('base64')
    lines.push(image('cyan', { base64: cyan }, { id: 'cyan', metadata: { colour: 'cyan' } }))
    // a red image outside the root: if any attack got through, "red" would find it
    await writeFile(join(outside, 'secret.png'), await solidImage([255, 0, 0], 'png'))
    await symlink(join(outside, 'secret.png'), join(root, 'link.png'))
    await writeFile(join(root, 'bomb.png'), await pngBomb(60_000, 60_000))
    await writeFile(join(root, 'notes.png'), 'not an image at all')
    await writeFile(join(root, 'huge.png'), Buffer.alloc(300_000))
    lines.push(
      image('traversal', { path: join(root, '..', 'secret', 'secret.png') }),
      image('symlink', { path: join(root, 'link.png') }),
      image('bomb', { path: join(root, 'bomb.png') }),
      image('garbage', { path: join(root, 'notes.png') }),
      image('too-large', { path: join(root, 'huge.png') }),
      image('url', { url: 'http://127.0.0.1:1/red.png' }),
      image('text-model', { path: join(root, 'red.png') }, { model: 'vectorize-test/minilm-tiny' }),
    )
    await writeFile(join(ws.dir, 'images.jsonl'), lines.join('\n') + '\n')
    const env = {
      VECTORIZE_WORKER_CONTENT_ALLOWED_ROOTS: root,
      VECTORIZE_WORKER_CONTENT_MAX_FETCH_BYTES: '200000',
      VECTORIZE_WORKER_PROCESSING_DEFAULT_COLLECTION: 'pictures',
    }
    await submitAndDrain(ws, 'images.jsonl', env)
  })

  it('should embed every allowed format and find each image by its colour word', async () => {
    const folded = await foldStatusLog(ws.queueDir)
    const names = [...good.map((g) => g[0]), 'cyan']
    for (const name of names) assert.equal(folded.tasks.get(name)?.state, 'succeeded', name)
    for (const name of names) {
      const hits = await ws.json<Hit[]>(['search', name, '-c', 'pictures', '-k', '3'])
      const order = hits.map((h) => h.documentId).join(', ')
      assert.equal(hits[0]?.documentId, name, `"${name}" → ${order}`)
    }
  })

  it('should store the image metadata with the vector', async () => {
    const hits = await ws.json<Hit[]>(['search', 'cyan', '-c', 'pictures', '-k', '1'])
    assert.deepEqual(hits[0]?.metadata, {
      colour: 'cyan',
      source: 'base64',
      image_format: 'png',
      image_width: 48,
      image_height: 48,
      image_bytes: hits[0]?.metadata.image_bytes,
    })
    assert.ok(Number(hits[0]?.metadata.image_bytes) > 0)
  })

  it('should fail each attack with its code and store nothing from it', async () => {
    const folded = await foldStatusLog(ws.queueDir)
    const expected = {
      traversal: 'path_not_allowed',
      symlink: 'path_not_allowed',
      bomb: 'invalid_image',
      garbage: 'invalid_image',
      'too-large': 'input_too_large',
      url: 'url_not_allowed',
      'text-model': 'unknown_model',
    }
    const seen = Object.fromEntries(
      Object.keys(expected).map((id) => [id, folded.tasks.get(id)?.error?.code]),
    )
    assert.deepEqual(seen, expected)
    for (const id of Object.keys(expected)) {
      const { state, error } = folded.tasks.get(id)!
      assert.equal(state, 'failed', id)
      assert.equal((error as { retriable?: boolean } | undefined)?.retriable, false, id)
    }
    const all = await ws.json<Hit[]>(['search', 'red', '-c', 'pictures', '-k', '50'])
    assert.deepEqual(all.map((h) => h.documentId).sort(), [...good.map((g) => g[0]), 'cyan'].sort())
  })
})
