/**
 * Document fixtures made by the tests themselves: PDFs with pdfkit, DOCX with docx, and
 * hand-built zips for the zip-bomb attacks (sizes and ratios that no real DOCX has).
 */
import { crc32, deflateRawSync } from 'node:zlib'
import { Document, HeadingLevel, Packer, Paragraph } from 'docx'
import PDFDocument from 'pdfkit'
import { defaultDocumentLimits, type ParseInput } from '../../src/documents/document.ts'

/** A parser's input: these bytes (or UTF-8 text) with the default limits, never cancelled. */
export function parseInput(bytes: Buffer | string, extra: Partial<ParseInput> = {}): ParseInput {
  return {
    bytes: Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes),
    origin: 'test',
    limits: defaultDocumentLimits,
    signal: new AbortController().signal,
    ...extra,
  }
}

/** One PDF page per entry, each page's text as given (pdfkit wraps long lines). */
export function makePdf(pages: readonly string[], title?: string): Promise<Buffer> {
  const doc = new PDFDocument({ autoFirstPage: false, ...(title && { info: { Title: title } }) })
  const parts: Buffer[] = []
  doc.on('data', (b: Buffer) => parts.push(b))
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(parts)))
    doc.on('error', reject)
  })
  for (const text of pages) {
    doc.addPage({ size: 'A4', margin: 50 })
    doc.fontSize(10).text(text)
  }
  doc.end()
  return done
}

export type DocxBlock = { heading: 1 | 2 | 3; text: string } | { text: string }

const LEVELS = { 1: HeadingLevel.HEADING_1, 2: HeadingLevel.HEADING_2, 3: HeadingLevel.HEADING_3 }

export function makeDocx(blocks: readonly DocxBlock[]): Promise<Buffer> {
  const children = blocks.map((b) =>
    'heading' in b
      ? new Paragraph({ text: b.text, heading: LEVELS[b.heading] })
      : new Paragraph({ text: b.text }),
  )
  return Packer.toBuffer(new Document({ sections: [{ children }] }))
}

export interface ZipFile {
  readonly name: string
  readonly data: Buffer
  /** Lie in the headers: the uncompressed size to declare instead of the real one. */
  readonly declare?: number
}

/** A plain zip (deflate), optionally with lying sizes. */
export function makeZip(files: readonly ZipFile[]): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const file of files) {
    const name = Buffer.from(file.name)
    const packed = deflateRawSync(file.data)
    const size = file.declare ?? file.data.length
    const head = header(0x04034b50, 30, name)
    head.writeUInt16LE(20, 4)
    head.writeUInt16LE(8, 8)
    head.writeUInt32LE(crc32(file.data), 14)
    head.writeUInt32LE(packed.length, 18)
    head.writeUInt32LE(size, 22)
    head.writeUInt16LE(name.length, 26)
    const central = header(0x02014b50, 46, name)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(8, 10)
    central.writeUInt32LE(crc32(file.data), 16)
    central.writeUInt32LE(packed.length, 20)
    central.writeUInt32LE(size, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE(offset, 42)
    locals.push(head, packed)
    centrals.push(central)
    offset += head.length + packed.length
  }
  const dir = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(files.length, 8)
  end.writeUInt16LE(files.length, 10)
  end.writeUInt32LE(dir.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, dir, end])
}

function header(signature: number, size: number, name: Buffer): Buffer {
  const buf = Buffer.alloc(size + name.length)
  buf.writeUInt32LE(signature, 0)
  name.copy(buf, size)
  return buf
}

/** A DOCX-shaped zip whose document.xml is 64 MiB of one repeated byte: a ~64 KiB file. */
export function docxBomb(): Buffer {
  return makeZip([
    { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
    { name: 'word/document.xml', data: Buffer.alloc(64 * 1024 * 1024, 0x20) },
  ])
}

const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'

/**
 * Documents well within the byte, zip and page limits that take their parser seconds, for the parse
 * time limit (parsed without one on a 2-core machine at load ~20: HTML 7 s, Markdown 9 s, DOCX 24 s).
 */
export const slowDocuments = {
  /** 1,000,000 nested `<div>`s (5 MB). */
  html: (): Buffer => Buffer.from('<div>'.repeat(1_000_000) + 'deep'),
  /** 5,000 headings, each of nested emphasis and links (4 MB). */
  md: (): Buffer => {
    const heading = '# ' + '*a **a ['.repeat(50) + 'b' + '](x) a** a*'.repeat(50) + '\n'
    return Buffer.from(heading.repeat(5_000))
  },
  /** A DOCX whose document.xml is 100,000 paragraphs (5.7 MB, 0.6 MB zipped: ratio ~9). */
  docx: (): Buffer => {
    const body: string[] = []
    for (let i = 0; i < 100_000; i++)
      body.push(`<w:p><w:r><w:t>paragraph ${i} of ${(i * 7919) % 100_003}</w:t></w:r></w:p>`)
    const xml = `<?xml version="1.0"?><w:document ${W}><w:body>${body.join('')}</w:body></w:document>`
    return makeZip([
      { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
      { name: 'word/document.xml', data: Buffer.from(xml) },
    ])
  },
}
