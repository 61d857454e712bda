/**
 * The chunker: the three strategies respect size and overlap, never cross a section, and each
 * chunk's offsets point at its text.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { chunkDocument, chunkSettings, type Chunk } from '../../src/documents/chunk.ts'
import type { ParsedDocument } from '../../src/documents/document.ts'
import { parseMarkdown } from '../../src/documents/markdown.ts'

/** Stand-in tokenizer arithmetic: 2 special tokens, one token per 4 characters of a word. */
const count = (texts: readonly string[]) =>
  Promise.resolve(texts.map((t) => 2 + Math.ceil(t.length / 4)))

const whole = (text: string): ParsedDocument => ({
  text,
  sections: [{ start: 0, end: text.length }],
})

function assertOffsets(doc: ParsedDocument, chunks: readonly Chunk[]): void {
  chunks.forEach((c, i) => {
    assert.equal(c.index, i)
    assert.equal(doc.text.slice(c.start, c.end), c.text)
    assert.ok(c.start >= c.section.start && c.end <= c.section.end, `chunk ${i} leaves its section`)
  })
}

describe('chunker', () => {
  it('should pack words up to the token size, special tokens included, with whole-word overlap', async () => {
    const words = Array.from({ length: 100 }, (_, i) => `w${String(i).padStart(3, '0')}`)
    const doc = whole(words.join(' '))
    const chunks = await chunkDocument(doc, { strategy: 'tokens', size: 12, overlap: 3 }, count)
    assertOffsets(doc, chunks)
    for (const c of chunks) assert.ok(c.text.split(' ').length <= 10, c.text)
    assert.equal(chunks[0]?.text, words.slice(0, 10).join(' '))
    assert.equal(chunks[1]?.text.split(' ')[0], 'w007')
    assert.equal(chunks.at(-1)?.text.split(' ').at(-1), 'w099')
  })

  it('should group sentences by count with sentence overlap', async () => {
    const doc = whole('One. Two! Three? Four. Five. Six.')
    const chunks = await chunkDocument(doc, { strategy: 'sentences', size: 3, overlap: 1 })
    assertOffsets(doc, chunks)
    assert.deepEqual(
      chunks.map((c) => c.text),
      ['One. Two! Three?', 'Three? Four. Five.', 'Five. Six.'],
    )
  })

  it('should pack paragraphs up to the character size and split an over-long one at sentences', async () => {
    const long = 'A sentence that is long. '.repeat(8).trim()
    const doc = whole(`Short one.\n\nShort two.\n\n${long}\n\nTail.`)
    const chunks = await chunkDocument(doc, { strategy: 'paragraphs', size: 60, overlap: 0 })
    assertOffsets(doc, chunks)
    assert.ok(chunks[0]?.text.startsWith('Short one.\n\nShort two.\n\nA sentence'))
    for (const c of chunks) assert.ok(c.text.length <= 60, c.text)
    assert.equal(chunks.at(-1)?.text.endsWith('Tail.'), true)
  })

  it('should never cross a heading section and keep each chunk its heading path', async () => {
    const doc = parseMarkdown('# A\none two three\n## B\nfour five\n# C\nsix')
    const chunks = await chunkDocument(doc, { strategy: 'paragraphs', size: 1000, overlap: 0 })
    assert.deepEqual(
      chunks.map((c) => [c.text, c.section.headingPath?.join(' > ')]),
      [
        ['# A\none two three', 'A'],
        ['## B\nfour five', 'A > B'],
        ['# C\nsix', 'C'],
      ],
    )
  })

  it('should default and cap settings, and refuse an overlap as large as the size', () => {
    assert.deepEqual(chunkSettings(undefined, 128), { strategy: 'tokens', size: 128, overlap: 32 })
    assert.deepEqual(chunkSettings({ strategy: 'sentences' }, 128), {
      strategy: 'sentences',
      size: 5,
      overlap: 1,
    })
    assert.throws(() => chunkSettings({ strategy: 'paragraphs', size: 100, overlap: 100 }, 128), {
      code: 'invalid_task',
    })
  })
})
