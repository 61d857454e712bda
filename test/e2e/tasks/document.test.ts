/**
 * Document tasks end to end through the real worker (local queue, LanceDB, the generated tiny
 * model): a 200-page PDF and a large DOCX generated here are chunked with the right pages,
 * heading paths and offsets, with progress on the way; re-sending a document unchanged writes
 * nothing and a shortened one leaves exactly its new chunks; a PDF over the page limit, a zip-bomb
 * DOCX and HTML, Markdown and DOCX documents that take their parser seconds fail with
 * `document_too_large`, JSON metadata fields over `processing.max_metadata_bytes` with
 * `input_too_large`, and the worker goes on with the next task.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { chunkDocument, chunkSettings } from '../../../src/documents/chunk.ts'
import { defaultDocumentLimits, type DocumentFormat } from '../../../src/documents/document.ts'
import { parsers } from '../../../src/documents/index.ts'
import { assembleWorker } from '../../../src/main.ts'
import { TransformersModels } from '../../../src/models/transformers.ts'
import { silentLogger } from '../../../src/observability/logger.ts'
import { LocalReporter } from '../../../src/reporters/local.ts'
import { LocalPublisher, LocalSource } from '../../../src/sources/local.ts'
import { LanceDbStore } from '../../../src/stores/lancedb.ts'
import type { StoredRecord } from '../../../src/stores/store.ts'
import { testConfig } from '../../helpers/config.ts'
import {
  docxBomb,
  makeDocx,
  makePdf,
  slowDocuments,
  type DocxBlock,
} from '../../helpers/documents.ts'
import { modelOptions, testModels } from '../../helpers/models.ts'

const signal = new AbortController().signal
const MODEL = 'vectorize-test/minilm-tiny'

interface LogLine {
  task_id: string
  status?: {
    state: string
    progress?: { done: number; total: number }
    error?: { code: string; message: string; retriable: boolean }
  }
  result?: { ids: string[]; counts: { items: number; vectors: number; truncated: number } }
}

/** Page n of the PDF: every word names its page, so a chunk's page can be checked from its text. */
const pageText = (n: number) =>
  Array.from(
    { length: 12 },
    (_, s) => Array.from({ length: 6 }, (_, w) => `p${n}w${s * 6 + w}`).join(' ') + '.',
  ).join(' ')

/** 20 chapters × 3 sections; every word names its chapter and section. */
function docxBlocks(): DocxBlock[] {
  const blocks: DocxBlock[] = []
  for (let c = 1; c <= 20; c++) {
    blocks.push({ heading: 1, text: `Chapter ${c}` })
    for (let s = 1; s <= 3; s++) {
      blocks.push({ heading: 2, text: `Section ${c}.${s}` })
      for (let p = 0; p < 4; p++)
        blocks.push({
          text: Array.from({ length: 25 }, (_, w) => `c${c}s${s}w${p * 25 + w}`).join(' ') + '.',
        })
    }
  }
  return blocks
}

describe('document tasks through the worker', () => {
  let dir: string
  let docs: string
  let models: TransformersModels
  let lance: LanceDbStore
  let runs = 0

  before(async () => {
    await testModels()
    dir = await mkdtemp(join(tmpdir(), 'vectorize-documents-'))
    docs = join(dir, 'docs')
    await mkdir(docs)
    models = new TransformersModels(modelOptions(), { logger: silentLogger })
    lance = await LanceDbStore.create({ path: join(dir, 'lancedb') }, { logger: silentLogger })
    const pages = Array.from({ length: 200 }, (_, i) => pageText(i + 1))
    await writeFile(join(docs, 'report.pdf'), await makePdf(pages, 'Annual report'))
    await writeFile(join(docs, 'book.docx'), await makeDocx(docxBlocks()))
    await writeFile(join(docs, 'bomb.docx'), docxBomb())
    for (const format of ['html', 'md', 'docx'] as const)
      await writeFile(join(docs, `slow.${format}`), slowDocuments[format]())
  })
  after(async () => {
    await models.close()
    await lance.close()
    await rm(dir, { recursive: true, force: true })
  })

  /** Runs the messages through a fresh worker until idle; returns the status log's lines. */
  async function run(
    messages: unknown[],
    content: Record<string, unknown> = {},
    processing: Record<string, unknown> = {},
  ): Promise<LogLine[]> {
    const queue = join(dir, `q${runs++}`)
    const publisher = await LocalPublisher.create({ dir: queue }, { logger: silentLogger })
    await publisher.publish(
      messages.map((m) => new TextEncoder().encode(JSON.stringify(m))),
      { signal },
    )
    await publisher.close()
    const source = await LocalSource.create(
      { dir: queue, pollIntervalMs: 20 },
      { logger: silentLogger },
    )
    const reporter = await LocalReporter.create({ dir: queue }, { logger: silentLogger })
    const config = testConfig({
      processing: { default_collection: 'docs', ...processing },
      models: { default: MODEL },
      content: { allowed_roots: [docs], max_pdf_pages: 500, ...content },
    })
    const { worker } = assembleWorker(config, {
      source,
      store: lance,
      reporter,
      models,
      logger: silentLogger,
    })
    await worker.run({ untilIdle: true })
    await source.close()
    await reporter.close()
    const text = await readFile(join(queue, 'status.log'), 'utf8')
    return text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as LogLine)
  }

  const finalState = (lines: LogLine[], id: string) =>
    lines.filter((l) => l.task_id === id && l.status).at(-1)?.status
  const resultOf = (lines: LogLine[], id: string) =>
    lines.find((l) => l.task_id === id && l.result)?.result

  /** What the chunker itself makes of the file, with the model's own tokenizer. */
  async function ownChunks(
    path: string,
    format: DocumentFormat,
    chunking: { strategy?: 'tokens'; size?: number },
  ) {
    const embedder = await models.get(MODEL, { signal })
    const bytes = await readFile(path)
    const parsed = await parsers[format].parse({
      bytes,
      origin: path,
      limits: defaultDocumentLimits,
      signal,
    })
    const settings = chunkSettings(chunking, embedder.info.maxTokens)
    return {
      parsed,
      chunks: await chunkDocument(parsed, settings, (t) => embedder.countTokens(t, { signal })),
    }
  }

  async function stored(collection: string, ids: readonly string[]): Promise<StoredRecord[]> {
    return lance.fetch(collection, ids, { signal })
  }

  it('should chunk a 200-page PDF with page numbers and offsets, reporting progress', async () => {
    const path = join(docs, 'report.pdf')
    const chunking = { strategy: 'tokens' as const, size: 48 }
    const lines = await run([
      {
        task_id: 'pdf',
        type: 'document',
        collection: 'pdfs',
        document: { id: 'report', path },
        chunking,
      },
    ])
    assert.equal(
      finalState(lines, 'pdf')?.state,
      'succeeded',
      JSON.stringify(finalState(lines, 'pdf')),
    )
    const result = resultOf(lines, 'pdf')!
    const { parsed, chunks } = await ownChunks(path, 'pdf', chunking)
    assert.ok(chunks.length > 200, `${chunks.length} chunks`)
    assert.equal(result.counts.vectors, chunks.length)
    assert.equal(result.counts.truncated, 0)
    const records = await stored('pdfs', result.ids)
    assert.equal(records.length, chunks.length)
    const pagesSeen = new Set<number>()
    for (const r of records) {
      const m = r.metadata
      const page = Number(m.page)
      pagesSeen.add(page)
      for (const word of r.text.split(/\s+/))
        assert.equal(/^p(\d+)w/.exec(word)?.[1], String(page), `word ${word} on page ${page}`)
      assert.equal(parsed.text.slice(Number(m.char_start), Number(m.char_end)), r.text)
      assert.equal(m.chunk_total, chunks.length)
      assert.equal(m.chunk_index, r.chunkIndex)
      assert.equal(m.title, 'Annual report')
      assert.equal(m.document_id, 'report')
    }
    assert.equal(pagesSeen.size, 200)
    const progress = lines.filter((l) => l.task_id === 'pdf' && l.status?.state === 'progress')
    assert.ok(progress.length >= 5, `${progress.length} progress updates`)
    const done = progress.map((l) => l.status!.progress!.done)
    assert.deepEqual(
      done,
      [...done].sort((a, b) => a - b),
    )
    assert.equal(progress[0]?.status?.progress?.total, chunks.length)
  })

  it('should chunk a large DOCX with heading paths', async () => {
    const path = join(docs, 'book.docx')
    const lines = await run([
      { task_id: 'docx', type: 'document', collection: 'books', document: { id: 'book', path } },
    ])
    assert.equal(
      finalState(lines, 'docx')?.state,
      'succeeded',
      JSON.stringify(finalState(lines, 'docx')),
    )
    const result = resultOf(lines, 'docx')!
    const { chunks } = await ownChunks(path, 'docx', {})
    assert.equal(result.counts.vectors, chunks.length)
    const records = await stored('books', result.ids)
    assert.equal(records.length, chunks.length)
    const paths = new Set<unknown>()
    for (const r of records) {
      paths.add(r.metadata.heading_path)
      for (const word of r.text.split(/\s+/)) {
        const m = /^c(\d+)s(\d+)w/.exec(word)
        if (m)
          assert.equal(r.metadata.heading_path, `Chapter ${m[1]} > Section ${m[1]}.${m[2]}`, word)
      }
    }
    assert.equal(paths.size, 60)
  })

  it('should write nothing for an unchanged document and leave exactly the new chunks of a shortened one', async () => {
    const long = Array.from(
      { length: 12 },
      (_, i) => `## Part ${i}\n\n${'Some words here. '.repeat(20)}`,
    ).join('\n\n')
    const short = long.split('## Part 4')[0]!
    const doc = (task_id: string, content: string) => ({
      task_id,
      type: 'document',
      collection: 'notes',
      document: { id: 'note', content, format: 'md' },
      chunking: { strategy: 'sentences', size: 6 },
    })
    const first = await run([doc('v1', long)])
    const ids = resultOf(first, 'v1')!.ids
    assert.ok(ids.length >= 24, `${ids.length} chunks`)
    const again = await run([doc('v1-again', long)])
    assert.equal(finalState(again, 'v1-again')?.state, 'succeeded')
    assert.deepEqual(resultOf(again, 'v1-again')!.ids, ids)
    assert.equal(resultOf(again, 'v1-again')!.counts.vectors, 0)
    const after1 = await stored('notes', ids)
    assert.ok(
      after1.every((r) => r.taskId === 'v1'),
      'no chunk was written again',
    )
    const shorter = await run([doc('v2', short)])
    const newIds = resultOf(shorter, 'v2')!.ids
    assert.ok(newIds.length < ids.length && newIds.length > 0)
    assert.equal(await lance.count('notes', { signal }), newIds.length)
    const left = await stored('notes', ids)
    assert.deepEqual(
      left.map((r) => r.id),
      newIds,
    )
    assert.ok(left.every((r) => r.taskId === 'v2' && r.metadata.chunk_total === newIds.length))
  })

  it('should fail a PDF over the page limit and a zip-bomb DOCX with document_too_large, storing nothing', async () => {
    const lines = await run(
      [
        {
          task_id: 'pages',
          type: 'document',
          collection: 'attacks',
          document: { id: 'r', path: join(docs, 'report.pdf') },
        },
        {
          task_id: 'bomb',
          type: 'document',
          collection: 'attacks',
          document: { id: 'b', path: join(docs, 'bomb.docx') },
        },
      ],
      { max_pdf_pages: 100 },
    )
    const pages = finalState(lines, 'pages')
    assert.equal(pages?.state, 'failed')
    assert.equal(pages?.error?.code, 'document_too_large')
    assert.equal(pages?.error?.retriable, false)
    assert.match(pages?.error?.message ?? '', /200 pages, over content\.max_pdf_pages \(100\)/)
    const bomb = finalState(lines, 'bomb')
    assert.equal(bomb?.state, 'failed')
    assert.equal(bomb?.error?.code, 'document_too_large')
    assert.match(bomb?.error?.message ?? '', /entry word\/document\.xml expands \d+×/)
    const collections = await lance.collections({ signal })
    assert.ok(!collections.some((c) => c.name === 'attacks' && c.count > 0))
  })

  it('should fail documents that take their parser too long at content.max_document_ms, and go on', async () => {
    const slow = (['html', 'md', 'docx'] as const).map((format) => ({
      task_id: `slow-${format}`,
      type: 'document',
      collection: 'slow',
      document: { id: format, path: join(docs, `slow.${format}`) },
    }))
    const next = {
      task_id: 'next',
      type: 'document',
      collection: 'slow',
      document: {
        id: 'next',
        content: 'A plain text document after the slow ones.',
        format: 'txt',
      },
    }
    const lines = await run([...slow, next], { max_document_ms: 50 })
    for (const format of ['html', 'md', 'docx']) {
      const state = finalState(lines, `slow-${format}`)
      assert.equal(state?.state, 'failed', format)
      assert.equal(state?.error?.code, 'document_too_large', format)
      assert.match(state?.error?.message ?? '', /took longer than content\.max_document_ms \(50\)/)
    }
    assert.equal(finalState(lines, 'next')?.state, 'succeeded')
    assert.equal(resultOf(lines, 'next')?.counts.vectors, 1)
  })

  it('should hold metadata from JSON fields to processing.max_metadata_bytes', async () => {
    const content = JSON.stringify([
      { body: 'A first record.', tags: ['a'] },
      { body: 'A second record.', tags: Array.from({ length: 200 }, (_, i) => `tag-${i}`) },
    ])
    const json = (task_id: string, metadata: string[]) => ({
      task_id,
      type: 'document',
      collection: 'records',
      document: { id: task_id, content, format: 'json', fields: { text: ['body'], metadata } },
    })
    const lines = await run(
      [json('tags', ['tags']), json('no-tags', [])],
      {},
      {
        max_metadata_bytes: 1024,
      },
    )
    const tags = finalState(lines, 'tags')
    assert.equal(tags?.state, 'failed')
    assert.equal(tags?.error?.code, 'input_too_large')
    assert.match(
      tags?.error?.message ?? '',
      /metadata of record \[1\] from document\.fields\.metadata is \d+ bytes, over processing\.max_metadata_bytes \(1024\); its largest field is tags/,
    )
    assert.equal(finalState(lines, 'no-tags')?.state, 'succeeded')
  })
})
