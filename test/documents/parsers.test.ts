/**
 * Parsers: each format gives text, a title, and sections whose offsets, pages and heading paths
 * point at the right text; PDFs and DOCX are generated here with pdfkit and docx.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defaultDocumentLimits, type ParsedDocument } from '../../src/documents/document.ts'
import { formatOf, parsers } from '../../src/documents/index.ts'
import type { VectorizeError } from '../../src/worker/errors.ts'
import { makeDocx, makePdf, parseInput as input } from '../helpers/documents.ts'

/** Each section as [text, page or heading path] for readable assertions. */
const sectionsOf = (doc: ParsedDocument) =>
  doc.sections.map((s) => [
    doc.text.slice(s.start, s.end).trim(),
    s.page ?? s.headingPath?.join(' > '),
  ])

describe('document parsers', () => {
  it('should keep plain text as one section with a BOM and CRLFs normalized', async () => {
    const doc = await parsers.txt.parse(input('\uFEFFone\r\ntwo'))
    assert.equal(doc.text, 'one\ntwo')
    assert.deepEqual(doc.sections, [{ start: 0, end: 7 }])
  })

  it('should give Markdown sections their heading paths, ignoring # lines in code fences', async () => {
    const md =
      '# Guide\nintro\n## Install\nrun it\n```\n# not a heading\n```\n## Use\ncall it\n# Appendix\nend'
    const doc = await parsers.md.parse(input(md))
    assert.equal(doc.title, 'Guide')
    assert.equal(doc.text, md)
    assert.deepEqual(sectionsOf(doc), [
      ['# Guide\nintro', 'Guide'],
      ['## Install\nrun it\n```\n# not a heading\n```', 'Guide > Install'],
      ['## Use\ncall it', 'Guide > Use'],
      ['# Appendix\nend', 'Appendix'],
    ])
  })

  it('should turn HTML into text without scripts or styles, with heading sections and entities decoded', async () => {
    const html = `<html><head><title>Page &amp; Title</title><style>p{}</style></head><body>
      <script>alert("x")</script><p>Before &lt;any&gt; heading.</p>
      <h1>Top</h1><p>Para <b>one</b>.</p><h2>Inner</h2><p>Two&#33;</p><!-- <h1>no</h1> --></body></html>`
    const doc = await parsers.html.parse(input(html))
    assert.equal(doc.title, 'Page & Title')
    assert.ok(!doc.text.includes('alert') && !doc.text.includes('p{}'))
    assert.deepEqual(sectionsOf(doc), [
      ['Before <any> heading.', undefined],
      ['Top\n\nPara one.', 'Top'],
      ['Inner\n\nTwo!', 'Top > Inner'],
    ])
  })

  it('should read each PDF page as its own section with its page number and the title', async () => {
    const pdf = await makePdf(['First page words.', '', 'Third page words.'], 'Report')
    const doc = await parsers.pdf.parse(input(pdf))
    assert.equal(doc.title, 'Report')
    assert.deepEqual(doc.metadata, { pages: 3 })
    assert.deepEqual(sectionsOf(doc), [
      ['First page words.', 1],
      ['Third page words.', 3],
    ])
  })

  it('should refuse a PDF over the page limit before reading its pages', async () => {
    const pdf = await makePdf(['a', 'b', 'c'])
    const limits = { ...defaultDocumentLimits, max_pdf_pages: 2 }
    await assert.rejects(parsers.pdf.parse(input(pdf, { limits })), (err: VectorizeError) => {
      assert.equal(err.code, 'document_too_large')
      assert.match(err.message, /3 pages, over content.max_pdf_pages \(2\)/)
      return true
    })
  })

  it('should stop a PDF parse at content.max_document_ms', async () => {
    const pdf = await makePdf(Array.from({ length: 50 }, (_, i) => `page ${i} text`))
    const limits = { ...defaultDocumentLimits, max_document_ms: 1 }
    await assert.rejects(parsers.pdf.parse(input(pdf, { limits })), {
      code: 'document_too_large',
      message: /took longer than content\.max_document_ms \(1\)/,
    })
  })

  it('should fail a file that is not a PDF with invalid_document', async () => {
    await assert.rejects(parsers.pdf.parse(input('not a pdf')), { code: 'invalid_document' })
  })

  it('should read DOCX headings as heading paths', async () => {
    const docx = await makeDocx([
      { heading: 1, text: 'Chapter 1' },
      { text: 'Opening words.' },
      { heading: 2, text: 'Part A' },
      { text: 'Details here.' },
    ])
    const doc = await parsers.docx.parse(input(docx))
    assert.equal(doc.title, 'Chapter 1')
    assert.deepEqual(sectionsOf(doc), [
      ['Chapter 1\n\nOpening words.', 'Chapter 1'],
      ['Part A\n\nDetails here.', 'Chapter 1 > Part A'],
    ])
  })

  it('should take JSON text and metadata from the chosen dotted fields, per record of an array', async () => {
    const json = JSON.stringify([
      { post: { title: 'Hello', body: 'First body.' }, author: 'ann', id: 1 },
      { post: { title: 'Again', body: 'Second body.' }, author: 'bob', id: 2 },
    ])
    const fields = { text: ['post.title', 'post.body'], metadata: ['author'] }
    const doc = await parsers.json.parse(input(json, { fields }))
    assert.deepEqual(sectionsOf(doc), [
      ['Hello', '[0] > post.title'],
      ['First body.', '[0] > post.body'],
      ['Again', '[1] > post.title'],
      ['Second body.', '[1] > post.body'],
    ])
    assert.deepEqual(doc.sections[3]?.metadata, { author: 'bob' })
  })

  it('should refuse JSON with __proto__ keys and JSON without the chosen text', async () => {
    const polluted = '{"body":"x","__proto__":{"isAdmin":true}}'
    await assert.rejects(parsers.json.parse(input(polluted)), { code: 'invalid_document' })
    await assert.rejects(parsers.json.parse(input('{"a":1}', { fields: { text: ['body'] } })), {
      code: 'invalid_document',
      message: /no text in fields body/,
    })
    assert.equal(({} as Record<string, unknown>).isAdmin, undefined)
  })

  it('should pick the format from the task, else the extension, else txt', () => {
    assert.equal(formatOf({ format: 'md', path: '/a/b.pdf' }), 'md')
    assert.equal(formatOf({ path: '/a/B.PDF' }), 'pdf')
    assert.equal(formatOf({ url: 'https://x.test/doc.docx?download=1' }), 'docx')
    assert.equal(formatOf({ path: '/a/notes' }), 'txt')
  })
})
