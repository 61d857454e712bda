/**
 * Image tasks that name URLs, end to end through the real CLI: a loopback server on 127.0.0.3
 * (the only allowed network) serves sharp-made PNGs; every other URL is an attack that must end
 * in a `failed` status with its code, store nothing, and (for loopback targets) never connect.
 */
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { createWorkspace, submitAndDrain, suiteCleanup, type Workspace } from '../../helpers/cli.ts'
import { body, redirect, stall, testServer, type TestServer } from '../../helpers/http.ts'
import { solidImage } from '../../helpers/images.ts'
import { foldStatusLog } from '../../helpers/queue-files.ts'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

const CLIP = 'vectorize-test/clip-tiny'

interface Hit {
  documentId: string
  metadata: Record<string, unknown>
}

const task = (id: string, url: string) =>
  JSON.stringify({ version: 1, task_id: id, id, type: 'image', model: CLIP, image: { url } })

describe('image tasks with URLs through the CLI', () => {
  let ws: Workspace
  let allowed: TestServer
  /** Loopback, but outside content.url_allow_networks: it must see no connection. */
  let forbidden: TestServer
  const cleanup = suiteCleanup()

  before(async () => {
    ws = await createWorkspace(cleanup)
    forbidden = await testServer({ '/red.png': body(await solidImage([255, 0, 0], 'png')) })
    cleanup(() => forbidden.close())
    const at = forbidden.origin
    allowed = await testServer(
      {
        '/red.png': body(await solidImage([255, 0, 0], 'png'), { 'content-type': 'image/png' }),
        '/photo': redirect('/red.png'),
        '/blue.png': body(await solidImage([0, 0, 255], 'png')),
        '/to-loopback': redirect(`${at}/red.png`),
        '/stall.png': stall(),
        '/huge.png': body(Buffer.alloc(300_000)),
      },
      '127.0.0.3',
    )
    cleanup(() => allowed.close())
    const port = forbidden.port
    const lines = [
      task('red', `${allowed.origin}/photo`),
      task('blue', `${allowed.origin}/blue.png`),
      task('loopback', `${at}/red.png`),
      task('loopback-v6', `http://[::1]:${port}/red.png`),
      task('decimal', `http://2130706433:${port}/red.png`),
      task('mapped', `http://[::ffff:127.0.0.1]:${port}/red.png`),
      task('redirect', `${allowed.origin}/to-loopback`),
      task('metadata', 'http://169.254.169.254/latest/meta-data/'),
      task('private', 'http://10.0.0.1/red.png'),
      task('gopher', `gopher://127.0.0.3:${allowed.port}/_red`),
      task('stall', `${allowed.origin}/stall.png`),
      task('huge', `${allowed.origin}/huge.png`),
    ]
    await writeFile(join(ws.dir, 'urls.jsonl'), lines.join('\n') + '\n')
    const env = {
      VECTORIZE_WORKER_CONTENT_ALLOW_URLS: 'true',
      VECTORIZE_WORKER_CONTENT_ALLOWED_SCHEMES: 'http',
      VECTORIZE_WORKER_CONTENT_URL_ALLOW_NETWORKS: '127.0.0.3/32',
      VECTORIZE_WORKER_CONTENT_FETCH_TIMEOUT_MS: '5000', // the stall waits it out once; red's redirect + body fit on a loaded machine
      VECTORIZE_WORKER_CONTENT_MAX_FETCH_BYTES: '200000',
      VECTORIZE_WORKER_PROCESSING_DEFAULT_COLLECTION: 'pictures',
    }
    await submitAndDrain(ws, 'urls.jsonl', env)
  })

  it('should embed images from an allowed server and record the final URL as the source', async () => {
    const folded = await foldStatusLog(ws.queueDir)
    for (const id of ['red', 'blue']) assert.equal(folded.tasks.get(id)?.state, 'succeeded', id)
    const [hit] = await ws.json<Hit[]>(['search', 'red', '-c', 'pictures', '-k', '1'])
    assert.equal(hit?.documentId, 'red')
    assert.equal(hit?.metadata.source, `${allowed.origin}/red.png`)
    assert.equal(hit?.metadata.image_format, 'png')
  })

  it('should fail every forbidden, stalled or oversized URL with its code and store nothing from it', async () => {
    const folded = await foldStatusLog(ws.queueDir)
    const expected = {
      loopback: 'url_not_allowed',
      'loopback-v6': 'url_not_allowed',
      decimal: 'url_not_allowed',
      mapped: 'url_not_allowed',
      redirect: 'url_not_allowed',
      metadata: 'url_not_allowed',
      private: 'url_not_allowed',
      gopher: 'url_not_allowed',
      stall: 'fetch_timeout',
      huge: 'input_too_large',
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
    assert.deepEqual(all.map((h) => h.documentId).sort(), ['blue', 'red'])
    assert.equal(forbidden.connections(), 0)
  })
})
