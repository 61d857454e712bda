/**
 * `vectorize ingest` of mixed folders (issue 5): which task messages a folder of texts, documents
 * and images turns into, every one valid by the task schema. End to end through the real CLI:
 * test/e2e/cli/ingest.test.ts.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { planIngest, type IngestOptions } from '../../src/cli/ingest-files.ts'
import { validateTask } from '../../src/protocol/parse.ts'
import type { TaskMessage } from '../../src/protocol/task.ts'

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
