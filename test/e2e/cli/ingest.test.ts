/**
 * `vectorize ingest` of mixed folders (issue 5): which task messages a folder of texts, documents
 * and images turns into (every one valid by the task schema), and, end to end through the real CLI,
 * JSON Lines, documents (md, txt, html, json, pdf, docx) and images embedded into their two
 * collections, found, and overwritten on re-ingest.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { planIngest, type IngestOptions } from '../../src/cli/ingest-files.ts'
import { validateTask } from '../../src/protocol/parse.ts'
import type { TaskMessage } from '../../src/protocol/task.ts'
import { createWorkspace, describeRun } from '../helpers/cli.ts'
import { makeDocx, makePdf } from '../helpers/documents.ts'
import { solidImage } from '../helpers/images.ts'

const options: IngestOptions = {
  maxFetchBytes: 100_000,
  imageModel: 'ViT-B/32',
  imageCollection: 'documents_images',
}
const limits = {
  max_message_bytes: 1_000_000,
  max_text_bytes: 100_000,
  max_batch_items: 100,
  max_metadata_bytes: 10_000,
}

async function files(dir: string, contents: Record<string, string | Buffer>): Promise<void> {
  for (const [name, body] of Object.entries(contents)) {
    await mkdir(join(dir, name, '..'), { recursive: true })
    await writeFile(join(dir, name), body)
  }
}

async function mixedFolder(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-ingest-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await files(join(dir, 'corpus'), {
    'items.jsonl': [
      JSON.stringify({ id: 'item-1', text: 'first item', metadata: { topic: 'x' } }),
      JSON.stringify({ text: 'second item' }),
      JSON.stringify({ version: 1, task_id: 'own', type: 'text', text: 'a task as is' }),
    ].join('\n'),
    'notes/a.md': '# A\n\nMarkdown.',
    'notes/b.markdown': '# B',
    'notes/c.txt': 'plain text',
    'pages/d.html': '<p>html</p>',
    'pages/e.HTM': '<p>htm</p>',
    'docs/f.pdf': '%PDF-1.4 (the plan does not parse it)',
    'docs/g.docx': 'PK (the plan does not parse it)',
    'docs/h.json': '{"body": "json"}',
    'pics/red.png': 'png bytes',
    'pics/photo.JPG': 'jpeg bytes',
    'pics/anim.gif': 'gif',
    'pics/scan.tif': 'tif',
    'pics/big.webp': Buffer.alloc(100_001),
    'data.csv': 'a,b',
    README: 'no extension',
    '.hidden.md': 'skipped silently',
  })
  return dir
}

const byId = (messages: readonly string[]) =>
  new Map(
    messages.map((m) => {
      const task = validateTask(JSON.parse(m), limits)
      return [task.task_id, task] as const
    }),
  )

describe('planIngest', () => {
  it('should turn a mixed folder into text, document and image tasks, each valid', async (t) => {
    const dir = await mixedFolder(t)
    const plan = await planIngest(['corpus'], dir, options)
    const tasks = byId(plan.messages)
    assert.deepEqual(Object.fromEntries(plan.types), { text: 3, document: 8, image: 4 })
    assert.deepEqual(Object.fromEntries(plan.skipped), {
      '.csv': 1,
      '(no extension)': 1,
      '.webp over content.max_fetch_bytes': 1,
    })
    assert.equal(plan.files, 13)
    assert.deepEqual(plan.roots, [join(dir, 'corpus')])
    const formats = Object.fromEntries(
      [...tasks.values()].flatMap((task: TaskMessage) =>
        task.type === 'document' && 'path' in task.document
          ? [[task.document.id, task.document.format]]
          : [],
      ),
    )
    assert.deepEqual(formats, {
      'corpus/notes/a.md': 'md',
      'corpus/notes/b.markdown': 'md',
      'corpus/notes/c.txt': 'txt',
      'corpus/pages/d.html': 'html',
      'corpus/pages/e.HTM': 'html',
      'corpus/docs/f.pdf': 'pdf',
      'corpus/docs/g.docx': 'docx',
      'corpus/docs/h.json': 'json',
    })
    assert.deepEqual(tasks.get('ingest:corpus/notes/a.md'), {
      version: 1,
      task_id: 'ingest:corpus/notes/a.md',
      type: 'document',
      metadata: { source: 'corpus/notes/a.md' },
      document: { id: 'corpus/notes/a.md', path: join(dir, 'corpus/notes/a.md'), format: 'md' },
    })
    assert.deepEqual(tasks.get('ingest:corpus/pics/photo.JPG'), {
      version: 1,
      task_id: 'ingest:corpus/pics/photo.JPG',
      type: 'image',
      id: 'corpus/pics/photo.JPG',
      model: 'ViT-B/32',
      collection: 'documents_images',
      metadata: { source: 'corpus/pics/photo.JPG' },
      image: { path: join(dir, 'corpus/pics/photo.JPG') },
    })
    const texts = [...tasks.values()].filter((task) => task.type === 'text')
    assert.deepEqual(
      texts.map((task) => [task.task_id, task.type === 'text' ? task.id : 'not text']),
      [
        ['ingest:corpus/items.jsonl#1', 'item-1'],
        ['ingest:corpus/items.jsonl#2', 'corpus/items.jsonl#2'],
        ['own', undefined],
      ],
    )
  })

  it('should give the same ids whichever way the folder is named, and read a named file from its folder', async (t) => {
    const dir = await mixedFolder(t)
    const ids = async (path: string, cwd = dir) =>
      [...byId((await planIngest([path], cwd, options)).messages).keys()].sort()
    const plain = await ids('corpus')
    assert.deepEqual(await ids(join(dir, 'corpus') + '/'), plain)
    assert.deepEqual(await ids('../../corpus', join(dir, 'corpus', 'notes')), plain)
    const single = await planIngest([join(dir, 'corpus', 'notes', 'a.md')], '/', options)
    assert.deepEqual([...byId(single.messages).keys()], ['ingest:a.md'])
    assert.deepEqual(single.roots, [join(dir, 'corpus', 'notes')])
  })
})

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
