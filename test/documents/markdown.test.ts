/**
 * The Markdown reader: the source text as is, one section per heading with its heading path, by
 * CommonMark's block rules (markdown-it): ATX and setext headings, not `#` lines in code or HTML.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ParsedDocument } from '../../src/documents/document.ts'
import { parsers } from '../../src/documents/index.ts'
import { parseInput } from '../helpers/documents.ts'

const parse = (md: string) => parsers.md.parse(parseInput(md))

const sectionsOf = (doc: ParsedDocument) =>
  doc.sections.map((s) => [doc.text.slice(s.start, s.end).trim(), s.headingPath?.join(' > ')])

describe('Markdown reader', () => {
  it('should recognise setext headings, a multi-line one from its first line', async () => {
    const md =
      'Title\n=====\n\nintro\n\nSub *one*\n---\ntext\n\n---\n\nafter a rule\n\n' +
      'A long\nheading\n---------\nbody\n\n```\nnot\n---\n```\n'
    const doc = await parse(md)
    assert.equal(doc.title, 'Title')
    assert.equal(doc.text, md)
    assert.deepEqual(sectionsOf(doc), [
      ['Title\n=====\n\nintro', 'Title'],
      ['Sub *one*\n---\ntext\n\n---\n\nafter a rule', 'Title > Sub one'],
      ['A long\nheading\n---------\nbody\n\n```\nnot\n---\n```', 'Title > A long heading'],
    ])
  })

  it('should not take # lines in indented code, HTML blocks or block quotes as section headings', async () => {
    const md =
      '# Top\n\n    # code\n\n<div>\n# html\n</div>\n\n> # quoted\n\n## Real &amp; `code`\nend'
    const doc = await parse(md)
    assert.deepEqual(sectionsOf(doc), [
      ['# Top\n\n    # code\n\n<div>\n# html\n</div>\n\n> # quoted', 'Top'],
      ['## Real &amp; `code`\nend', 'Top > Real & code'],
    ])
  })

  it('should leave a leading YAML front matter block out of every section', async () => {
    const md = '---\ntitle: Notes\ntags: [a, b]\n---\nIntro.\n\nPart\n----\ntext\n'
    const doc = await parse(md)
    assert.equal(doc.text, md)
    assert.deepEqual(sectionsOf(doc), [
      ['Intro.', undefined],
      ['Part\n----\ntext', 'Part'],
    ])
  })

  it('should keep offsets true to the source with astral characters and CRLF line ends', async () => {
    const doc = await parse('😀 intro\r\n\r\n# Head 😀\r\nbody 😀\r\n')
    assert.equal(doc.text, '😀 intro\n\n# Head 😀\nbody 😀\n')
    assert.deepEqual(sectionsOf(doc), [
      ['😀 intro', undefined],
      ['# Head 😀\nbody 😀', 'Head 😀'],
    ])
  })
})
