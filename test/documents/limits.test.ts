/**
 * Every format's parse is bounded by `content.max_document_ms` off the event loop: a document that
 * takes its parser seconds (deeply nested HTML, a huge DOCX body, nested Markdown emphasis and
 * links) fails with `document_too_large` at the limit while the event loop keeps running, and the
 * next document of that format parses. JSON metadata fields are held to
 * `processing.max_metadata_bytes`.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defaultDocumentLimits } from '../../src/documents/document.ts'
import { parsers } from '../../src/documents/index.ts'
import { makeDocx, parseInput, slowDocuments } from '../helpers/documents.ts'

const LIMIT_MS = 10
const limits = { ...defaultDocumentLimits, max_document_ms: LIMIT_MS }

const normal = {
  html: () => Promise.resolve(Buffer.from('<h1>Fine</h1><p>ok</p>')),
  md: () => Promise.resolve(Buffer.from('Fine\n====\nok')),
  docx: () => makeDocx([{ heading: 1, text: 'Fine' }, { text: 'ok' }]),
}

describe('document parse limits', () => {
  for (const format of ['html', 'md', 'docx'] as const) {
    it(`should stop a slow ${format} document at content.max_document_ms without blocking the event loop`, async (t) => {
      // Time is the subject: the limit's timer is mocked and fires when the test ticks it. With a
      // real one, a loaded machine could let it fire before the event loop's next turn, which
      // read as a parse that blocked the loop.
      t.mock.timers.enable({ apis: ['setTimeout'] })
      let settled = false
      const parse = parsers[format].parse(parseInput(slowDocuments[format](), { limits }))
      void parse.then(
        () => (settled = true),
        () => (settled = true),
      )
      await new Promise(setImmediate)
      assert.equal(settled, false, 'the document was parsed on the event loop')
      // The parse runs on its thread for seconds; the limit ends it (however long it took to start).
      while (!settled) {
        t.mock.timers.tick(LIMIT_MS)
        await new Promise(setImmediate)
      }
      await assert.rejects(parse, {
        code: 'document_too_large',
        message: new RegExp(`took longer than content\\.max_document_ms \\(${LIMIT_MS}\\)`),
      })
      t.mock.timers.reset()
      const next = await parsers[format].parse(parseInput(await normal[format]()))
      assert.equal(next.title, 'Fine')
    })
  }

  it('should refuse JSON metadata fields over processing.max_metadata_bytes, naming the field', async () => {
    const json = JSON.stringify([
      { body: 'first', author: 'ann', bio: 'short' },
      { body: 'second', author: 'bob', bio: 'x'.repeat(300) },
    ])
    const fields = { text: ['body'], metadata: ['author', 'bio'] }
    const small = { ...defaultDocumentLimits, max_metadata_bytes: 200 }
    await assert.rejects(parsers.json.parse(parseInput(json, { fields, limits: small })), {
      code: 'input_too_large',
      message:
        /metadata of record \[1\] from document\.fields\.metadata is \d+ bytes, over processing\.max_metadata_bytes \(200\); its largest field is bio \(302 bytes\)/,
    })
    const fits = await parsers.json.parse(parseInput(json, { fields }))
    assert.equal(fits.sections[1]?.metadata?.bio, 'x'.repeat(300))
  })
})
