/**
 * The zip-bomb guard: entry count, declared total size and ratio judged from the central
 * directory, and an entry that lies about its size stopped at its declared size.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defaultContentLimits } from '../../src/content/content.ts'
import { checkZip } from '../../src/documents/zip.ts'
import { docxBomb, makeDocx, makeZip } from '../helpers/documents.ts'

const limits = defaultContentLimits

describe('zip guard', () => {
  it('should accept a real DOCX', async () => {
    const entries = checkZip(await makeDocx([{ text: 'hello' }]), limits, 'ok.docx')
    assert.ok(entries.some((e) => e.name === 'word/document.xml'))
  })

  it('should refuse an entry that expands over the ratio limit', () => {
    assert.throws(() => checkZip(docxBomb(), limits, 'bomb.docx'), {
      code: 'document_too_large',
      message: /bomb\.docx entry word\/document\.xml expands \d+× .* content\.max_zip_ratio/,
    })
  })

  it('should refuse a zip that declares more than max_zip_bytes in total', () => {
    const zip = makeZip([{ name: 'a.xml', data: Buffer.from('x'), declare: 2 ** 31 }])
    assert.throws(() => checkZip(zip, { ...limits, max_zip_ratio: 1e12 }, 'big.docx'), {
      code: 'document_too_large',
      message: /content\.max_zip_bytes/,
    })
  })

  it('should refuse more entries than max_zip_entries', () => {
    const files = Array.from({ length: 5 }, (_, i) => ({
      name: `f${i}.xml`,
      data: Buffer.from('x'),
    }))
    assert.throws(() => checkZip(makeZip(files), { ...limits, max_zip_entries: 4 }, 'many.docx'), {
      code: 'document_too_large',
      message: /5 zip entries, over content\.max_zip_entries \(4\)/,
    })
  })

  it('should stop an entry that inflates past the size it declares', () => {
    const zip = makeZip([
      { name: 'word/document.xml', data: Buffer.alloc(1_000_000, 0x41), declare: 1000 },
    ])
    assert.throws(() => checkZip(zip, limits, 'liar.docx'), {
      code: 'document_too_large',
      message: /inflates past its declared 1000 bytes/,
    })
  })

  it('should refuse something that is not a zip', () => {
    assert.throws(() => checkZip(Buffer.from('plain text'), limits, 'x.docx'), {
      code: 'invalid_document',
    })
  })
})
