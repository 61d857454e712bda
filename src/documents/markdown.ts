/**
 * Markdown: the source text as is (markup included: models read it well and offsets stay true to
 * the original), one section per top-level heading with its heading path.
 *
 * markdown-it finds the headings by CommonMark's block rules — ATX (`# …`) and setext (`Title` over
 * `===` or `---`, a multi-line paragraph included), never in code, HTML blocks or block quotes —
 * which a line scanner gets wrong (issue 10, item 7). Chosen over micromark/mdast: markdown-it stays
 * linear on CommonMark's pathological inputs (nested emphasis, brackets, links), micromark took
 * 22 s on 28 KB of nested emphasis. Only headings' inline content is parsed (to give `Sub *one*`
 * the path `Sub one`); the rest of the document is read for its block structure alone. A leading
 * YAML front matter block (`---` … `---`) is metadata, in no section: CommonMark would read its
 * closing `---` as a setext underline and make the block a heading.
 */
import MarkdownIt, { type Token } from 'markdown-it'
import { decodeText } from './builder.ts'
import type { ParsedDocument, ParseInput, Section } from './document.ts'

const FRONT_MATTER = /^---[ \t]*\n(?:.*\n)*?(?:---|\.\.\.)[ \t]*(?:\n|$)/

/** Block structure only: inline parsing (and text_join, which walks its output) switched off. */
const blocks = new MarkdownIt('commonmark').disable(['inline', 'text_join'])
const inline = new MarkdownIt('commonmark')

export function extractMarkdown({ bytes }: Pick<ParseInput, 'bytes'>): ParsedDocument {
  return parseMarkdown(decodeText(bytes))
}

export function parseMarkdown(text: string): ParsedDocument {
  const env = {}
  const front = FRONT_MATTER.exec(text)?.[0].length ?? 0
  // Blanked, not cut: line numbers and offsets stay those of the text.
  const tokens = blocks.parse(text.slice(0, front).replace(/[^\n]/g, ' ') + text.slice(front), env)
  const lines = lineStarts(text)
  const sections: Section[] = []
  const path: string[] = []
  let title: string | undefined
  let start = front
  let headingEnd = -1
  tokens.forEach((token, i) => {
    if (token.type !== 'heading_open' || token.level !== 0 || !token.map) return
    const at = lines[token.map[0]] ?? text.length
    push(text, sections, { start, end: at, headingEnd }, path)
    const level = Number(token.tag.slice(1))
    const words = plain(inline.parseInline(tokens[i + 1]?.content ?? '', env))
    path.splice(level - 1, path.length, words)
    for (let l = 0; l < level - 1; l++) path[l] ??= ''
    if (level === 1) title ??= words
    start = at
    headingEnd = lines[token.map[1]] ?? text.length
  })
  push(text, sections, { start, end: text.length, headingEnd }, path)
  return { ...(title !== undefined && { title }), text, sections }
}

/** Offset of each line's first character (markdown-it counts lines split at \n). */
function lineStarts(text: string): number[] {
  const starts = [0]
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1)
  return starts
}

/** A heading's words without markup: `Sub *one*` is `Sub one`. */
function plain(tokens: readonly Token[]): string {
  let words = ''
  for (const token of tokens) {
    if (token.type === 'text' || token.type === 'code_inline') words += token.content
    else if (token.type === 'softbreak' || token.type === 'hardbreak') words += ' '
    else if (token.children) words += plain(token.children)
  }
  return words.replace(/\s+/g, ' ').trim()
}

/** A section that is only its heading is dropped: the heading lives on in the paths after it. */
function push(
  text: string,
  sections: Section[],
  at: { start: number; end: number; headingEnd: number },
  path: readonly string[],
): void {
  if (text.slice(at.start, at.end).trim() === '') return
  if (at.headingEnd >= 0 && text.slice(Math.min(at.headingEnd, at.end), at.end).trim() === '')
    return
  const headingPath = path.filter((p) => p !== '')
  sections.push({ start: at.start, end: at.end, ...(headingPath.length > 0 && { headingPath }) })
}
