/**
 * DOCX: the zip guard first (zip.ts, central directory before inflating), then mammoth turns Word
 * into HTML (Heading 1…6 styles become h1…h6, images are dropped) and html.ts makes text and
 * sections with heading paths from it. Runs in a parser thread (pool.ts), like every format but
 * plain text: mammoth reads document.xml in one synchronous pass, seconds for a large one.
 */
import mammoth from 'mammoth'
import type { ParseJob, ParsedDocument } from './document.ts'
import { invalidDocument } from './errors.ts'
import { parseHtml } from './html.ts'
import { checkZip } from './zip.ts'

export async function extractDocx({ bytes, origin, limits }: ParseJob): Promise<ParsedDocument> {
  const entries = checkZip(bytes, limits, origin)
  if (!entries.some((e) => e.name === 'word/document.xml'))
    throw invalidDocument('docx', origin, 'has no word/document.xml (not a Word document)')
  const result = await mammoth
    .convertToHtml(
      { buffer: bytes },
      { convertImage: mammoth.images.imgElement(() => Promise.resolve({ src: '' })) },
    )
    .catch((err: unknown) => {
      throw invalidDocument('docx', origin, 'could not be read', err)
    })
  return parseHtml(result.value)
}
