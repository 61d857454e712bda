/**
 * PDF text with pdfjs (legacy build for Node), guarded (reliability.md S4): `isEvalSupported: false`
 * (CVE-2024-4367: font programs must never become JS), no font faces, no remote fetches; the page
 * count is checked before any page is read. Each page is one section (chunks never cross pages),
 * pages joined by a blank line. Runs in a parser thread (pool.ts), which is killed at
 * `max_document_ms` or its memory cap.
 */
import { getDocument, VerbosityLevel } from 'pdfjs-dist/legacy/build/pdf.mjs'
import { TextBuilder } from './builder.ts'
import type { ParseJob, ParsedDocument } from './document.ts'
import { documentTooLarge, invalidDocument } from './errors.ts'

export async function extractPdf({ bytes, origin, limits }: ParseJob): Promise<ParsedDocument> {
  const task = getDocument({
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    disableAutoFetch: true,
    stopAtErrors: true,
    verbosity: VerbosityLevel.ERRORS,
  })
  try {
    const pdf = await task.promise.catch((err: unknown) => {
      throw invalidDocument('pdf', origin, 'could not be opened', err)
    })
    if (pdf.numPages > limits.max_pdf_pages)
      throw documentTooLarge(
        'pdf',
        origin,
        `has ${pdf.numPages} pages, over content.max_pdf_pages (${limits.max_pdf_pages})`,
        { pages: pdf.numPages, limit: 'max_pdf_pages' },
      )
    const out = new TextBuilder()
    for (let n = 1; n <= pdf.numPages; n++) {
      out.breakParagraph()
      out.section({ page: n })
      out.append(await pageText(pdf, n, origin))
    }
    const title = await documentTitle(pdf)
    return out.build({ ...(title && { title }), metadata: { pages: pdf.numPages } })
  } finally {
    await task.destroy()
  }
}

type Pdf = Awaited<ReturnType<typeof getDocument>['promise']>

async function pageText(pdf: Pdf, n: number, origin: string): Promise<string> {
  try {
    const page = await pdf.getPage(n)
    const content = await page.getTextContent()
    page.cleanup()
    let text = ''
    for (const item of content.items) {
      if (!('str' in item)) continue
      text += item.str + (item.hasEOL ? '\n' : '')
    }
    return text.replace(/[ \t]+\n/g, '\n').trim()
  } catch (err) {
    throw invalidDocument('pdf', origin, `page ${n} could not be read`, err)
  }
}

async function documentTitle(pdf: Pdf): Promise<string | undefined> {
  const meta: { info?: unknown } | undefined = await pdf.getMetadata().catch(() => undefined)
  const title = (meta?.info as { Title?: unknown } | undefined)?.Title
  return typeof title === 'string' && title.trim() ? title.trim() : undefined
}
