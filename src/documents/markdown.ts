/**
 * Markdown: the source text as is (markup included: models read it well and offsets stay true to
 * the original), one section per ATX heading (`#` … `######`) with its heading path. Headings inside
 * fenced code blocks are not headings; setext (underlined) headings are not recognized.
 */
import { decodeText } from './builder.ts'
import type { DocumentParser, ParsedDocument, Section } from './document.ts'

const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/
const FENCE = /^ {0,3}(`{3,}|~{3,})/

export const markdownParser: DocumentParser = {
  format: 'md',
  parse: ({ bytes }) => Promise.resolve(parseMarkdown(decodeText(bytes))),
}

export function parseMarkdown(text: string): ParsedDocument {
  const sections: Section[] = []
  const path: string[] = []
  let title: string | undefined
  let start = 0
  let fence: string | undefined
  let offset = 0
  for (const line of text.split('\n')) {
    const fenceMark = FENCE.exec(line)?.[1]
    if (fenceMark && (!fence || fenceMark.startsWith(fence))) fence = fence ? undefined : fenceMark
    const heading = fence ? null : HEADING.exec(line)
    if (heading) {
      push(text, sections, start, offset, path)
      const level = heading[1]!.length
      path.splice(level - 1, path.length, heading[2]!.trim())
      for (let i = 0; i < level - 1; i++) path[i] ??= ''
      if (level === 1 && title === undefined) title = heading[2]!.trim()
      start = offset
    }
    offset += line.length + 1
  }
  push(text, sections, start, text.length, path)
  return { ...(title !== undefined && { title }), text, sections }
}

/** A section that is only its heading line is dropped: the heading lives on in the paths after it. */
function push(
  text: string,
  sections: Section[],
  start: number,
  end: number,
  path: readonly string[],
): void {
  const body = text.slice(start, end).trim()
  if (body === '' || (path.length > 0 && HEADING.test(body) && !body.includes('\n'))) return
  const headingPath = path.filter((p) => p !== '')
  sections.push({ start, end, ...(headingPath.length > 0 && { headingPath }) })
}
