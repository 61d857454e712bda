/**
 * `vectorize ingest` of mixed folders (issue 5), end to end through the real CLI: JSON Lines,
 * documents (md, txt, html, json, pdf, docx) and images embedded into their two collections,
 * found, and overwritten on re-ingest. The task messages a folder turns into:
 * test/cli/ingest-files.test.ts.
 */
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createWorkspace, describeRun } from '../../helpers/cli.ts'
import { makeDocx, makePdf } from '../../helpers/documents.ts'
import { solidImage } from '../../helpers/images.ts'

async function files(dir: string, contents: Record<string, string | Buffer>): Promise<void> {
  for (const [name, body] of Object.entries(contents)) {
    await mkdir(join(dir, name, '..'), { recursive: true })
    await writeFile(join(dir, name), body)
  }
}

interface CollectionRow {
  name: string
  count: number
  dimensions: number
}

describe('vectorize ingest (a mixed folder end to end)', () => {
  it('should embed texts, documents and images into their collections, find them, and overwrite on re-ingest', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    await files(join(ws.dir, 'corpus'), {
      'items.jsonl': ['first item of the corpus', 'second item', 'third item']
        .map((text, i) => JSON.stringify({ id: `item-${i + 1}`, text }))
        .join('\n'),
      'pics/red.png': await solidImage([255, 0, 0], 'png'),
      'pics/blue.jpg': await solidImage([0, 0, 255], 'jpeg'),
      'pics/green.webp': await solidImage([0, 255, 0], 'webp'),
      'table.csv': 'a,b',
      'notes/a.md': '# Notes\n\nA markdown note.\n\n## Part\n\nMore of it.',
      'notes/b.txt': 'A plain text note.',
      'pages/c.html':
        '<html><head><title>C</title></head><body><h1>C</h1><p>HTML.</p></body></html>',
      'docs/d.json': JSON.stringify({ title: 'D', body: 'JSON document' }),
      'docs/e.pdf': await makePdf(['first page', 'second page', 'third page']),
      'docs/f.docx': await makeDocx([{ heading: 1, text: 'F' }, { text: 'A DOCX paragraph.' }]),
    })
    const args = ['--json', 'ingest', 'corpus', '--image-model', 'vectorize-test/clip-tiny']
    const ingest = async (path = 'corpus') => {
      const result = await ws.run(args.with(2, path))
      assert.equal(result.code, 0, describeRun(args, result))
      return JSON.parse(result.stdout) as Record<string, unknown>
    }
    const first = await ingest()
    assert.deepEqual(
      [first.files, first.succeeded, first.failed, first.types, first.skipped],
      [10, 12, 0, { text: 3, image: 3, document: 6 }, { '.csv': 1 }],
    )
    const counts = async () =>
      Object.fromEntries(
        (await ws.json<CollectionRow[]>(['collections'])).map((c) => [c.name, c.count]),
      )
    const stored = await counts()
    // 3 items, then one chunk or more per document: the PDF has one per page at least.
    assert.ok((stored.documents ?? 0) >= 3 + 5 + 3, `documents holds ${stored.documents}`)
    assert.equal(stored.documents_images, 3)
    const hits = await ws.json<{ documentId: string }[]>([
      'search',
      'red',
      '-c',
      'documents_images',
      '-k',
      '3',
    ])
    assert.equal(hits[0]?.documentId, 'corpus/pics/red.png')
    const pages = await ws.json<{ documentId: string; metadata: { page?: number } }[]>([
      'search',
      'second page',
      '-k',
      '1',
    ])
    assert.deepEqual(
      [pages[0]?.documentId, pages[0]?.metadata.page],
      ['corpus/docs/e.pdf', 2],
      'a PDF page is found with its page number',
    )
    await ingest()
    await ingest(join(ws.dir, 'corpus') + '/')
    assert.deepEqual(await counts(), stored)
  })

  it('should refuse an image collection name that is not valid', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    await files(join(ws.dir, 'corpus'), { 'a.png': 'x' })
    const args = ['ingest', 'corpus', '--image-collection', 'no-dashes']
    const result = await ws.run(args)
    assert.equal(result.code, 2, describeRun(args, result))
    assert.match(result.stderr, /--image-collection/)
  })
})
