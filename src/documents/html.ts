/**
 * HTML to text without evaluating anything: a tag scanner (no DOM, no scripts, no external
 * resources). `script`, `style`, `template`, `noscript`, `svg`, `iframe` and `head` content is
 * dropped, `<title>` kept as the title, block elements become paragraph breaks, `h1`–`h6` start a
 * new section with their heading path, and character references are decoded. DOCX goes through
 * here too (mammoth turns Word headings into `h1`…).
 */
import { TextBuilder } from './builder.ts'
import type { DocumentParser, ParsedDocument } from './document.ts'
import { decodeEntities } from './entities.ts'

const SKIPPED = new Set(['script', 'style', 'template', 'noscript', 'svg', 'iframe', 'object'])
const BLOCK = new Set(
  (
    'address article aside blockquote body br dd details dialog div dl dt fieldset figcaption ' +
    'figure footer form header hr li main nav ol p pre section summary table tbody td tfoot th ' +
    'thead tr ul caption'
  ).split(' '),
)
const TAG =
  /<!--[\s\S]*?(?:-->|$)|<!\[CDATA\[[\s\S]*?(?:\]\]>|$)|<![^>]*>|<\?[^>]*>|<(\/?)([a-zA-Z][a-zA-Z0-9-]*)\b(?:[^>"']|"[^"]*"|'[^']*')*>/g

export const htmlParser: DocumentParser = {
  format: 'html',
  parse: ({ bytes }) => Promise.resolve(parseHtml(bytes.toString('utf8').replace(/^\uFEFF/, ''))),
}

export function parseHtml(html: string): ParsedDocument {
  const out = new TextBuilder()
  const path: string[] = []
  let title: string | undefined
  let firstH1: string | undefined
  let skipUntil: string | undefined
  let heading: { level: number; text: string } | undefined
  let inTitle = false
  let titleText = ''
  let last = 0
  const text = (raw: string) => {
    if (skipUntil || raw === '') return
    const decoded = decodeEntities(raw).replace(/\s+/g, ' ')
    if (inTitle) titleText += decoded
    else if (heading) heading.text += decoded
    else appendInline(out, decoded)
  }
  for (const match of html.matchAll(TAG)) {
    text(html.slice(last, match.index))
    last = match.index + match[0].length
    const name = match[2]?.toLowerCase()
    if (!name) continue
    const closing = match[1] === '/'
    if (skipUntil) {
      if (closing && name === skipUntil) skipUntil = undefined
      continue
    }
    if (SKIPPED.has(name) && !closing && !match[0].endsWith('/>')) skipUntil = name
    else if (name === 'title') {
      inTitle = !closing
      if (closing) title ??= titleText.trim() || undefined
    } else if (/^h[1-6]$/.test(name)) {
      const level = Number(name[1])
      if (!closing) heading = { level, text: '' }
      else if (heading) {
        const words = heading.text.trim()
        path.splice(heading.level - 1, path.length, words)
        for (let i = 0; i < heading.level - 1; i++) path[i] ??= ''
        if (heading.level === 1) firstH1 ??= words
        heading = undefined
        out.breakParagraph()
        const headingPath = path.filter((p) => p !== '')
        out.section(headingPath.length > 0 ? { headingPath } : {})
        out.heading(words)
        out.breakParagraph()
      }
    } else if (BLOCK.has(name) || name === 'head' || name === 'html') out.breakParagraph()
  }
  text(html.slice(last))
  const parsed = out.build()
  const t = title ?? firstH1
  return { ...(t && { title: t }), text: parsed.text.trimEnd(), sections: trimEnds(parsed) }
}

function appendInline(out: TextBuilder, text: string): void {
  const atLineStart = out.length === 0 || out.last === '\n' || out.last === ' '
  out.append(atLineStart ? text.replace(/^ /, '') : text)
}

/** The text was right-trimmed: the last section must not reach past it. */
function trimEnds(parsed: ParsedDocument): ParsedDocument['sections'] {
  const end = parsed.text.trimEnd().length
  return parsed.sections
    .map((s) => ({ ...s, end: Math.min(s.end, end) }))
    .filter((s) => s.end > s.start)
}
