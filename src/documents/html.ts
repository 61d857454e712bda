/**
 * HTML to text without evaluating anything (no scripts, no styles, no external resources).
 *
 * parse5 builds the tree: it implements the WHATWG HTML parsing algorithm, so malformed markup
 * (unclosed and misnested tags, `<!--->`, `<!--` inside a script, RCDATA titles) recovers exactly
 * as in a browser, and every HTML5 named character reference is decoded. It is the parser jsdom
 * uses and is actively maintained; htmlparser2, the faster alternative, does not follow the spec's
 * tree construction, which is what "read it as a browser would" needs (issue 10, item 7).
 *
 * What a browser does not render is not text: `head` (the `<title>` is kept as the title),
 * `script`, `style`, `template`, `noscript`, `svg`, `iframe`, `object`, media fallback. Block
 * elements become paragraph breaks, `br` a line break, whitespace collapses except in `pre`, and
 * `h1`–`h6` start a section with their heading path. DOCX comes here too (mammoth makes `h1`…).
 * The tree is walked without recursion: a million nested elements must not overflow the stack.
 */
import { html as spec, parse, type DefaultTreeAdapterTypes as T } from 'parse5'
import { TextBuilder } from './builder.ts'
import type { ParsedDocument, ParseInput } from './document.ts'

const SKIPPED = new Set(
  'head script style template noscript svg iframe object embed audio video canvas'.split(' '),
)
const BLOCK = new Set(
  (
    'address article aside blockquote body dd details dialog div dl dt fieldset figcaption ' +
    'figure footer form header hr li main nav ol p pre section summary table tbody td tfoot th ' +
    'thead tr ul caption listing plaintext xmp textarea'
  ).split(' '),
)
/** Elements whose whitespace is kept as written (CSS `white-space: pre` in browsers). */
const PREFORMATTED = new Set(['pre', 'listing', 'plaintext', 'xmp', 'textarea'])

export function extractHtml({ bytes }: Pick<ParseInput, 'bytes'>): ParsedDocument {
  return parseHtml(bytes.toString('utf8').replace(/^\uFEFF/, ''))
}

export function parseHtml(html: string): ParsedDocument {
  const document = parse(html)
  const writer = new HtmlText()
  type Step = T.ChildNode | { readonly close: T.Element }
  const steps: Step[] = [...document.childNodes].reverse()
  for (let step = steps.pop(); step; step = steps.pop()) {
    if ('close' in step) writer.close(step.close)
    else if (step.nodeName === '#text') writer.text((step as T.TextNode).value)
    else if ('tagName' in step && writer.open(step)) {
      steps.push({ close: step })
      for (let i = step.childNodes.length - 1; i >= 0; i--) steps.push(step.childNodes[i]!)
    }
  }
  return writer.build()
}

/** The text as the walk enters and leaves elements; headings are collected, then written. */
class HtmlText {
  readonly #out = new TextBuilder()
  readonly #path: string[] = []
  #title: string | undefined
  #firstH1: string | undefined
  #pre = 0
  #heading: { element: T.Element; level: number; text: string } | undefined

  /** Returns whether to walk the element's children. */
  open(element: T.Element): boolean {
    const name = element.tagName
    if (element.namespaceURI !== spec.NS.HTML) return !SKIPPED.has(name)
    if (name === 'title' || name === 'head') {
      this.#title ??= titleOf(name === 'head' ? element.childNodes : [element])
      return false
    }
    if (SKIPPED.has(name)) return false
    if (PREFORMATTED.has(name)) this.#pre++
    const level = /^h[1-6]$/.test(name) ? Number(name[1]) : 0
    if (level > 0 && !this.#heading) this.#heading = { element, level, text: '' }
    else this.#break(name)
    return true
  }

  close(element: T.Element): void {
    const name = element.tagName
    if (PREFORMATTED.has(name)) this.#pre--
    if (this.#heading?.element === element) this.#writeHeading(this.#heading)
    else if (name !== 'br') this.#break(name)
  }

  text(value: string): void {
    if (this.#heading) this.#heading.text += collapse(value)
    else if (this.#pre > 0) this.#out.append(value)
    else {
      const text = collapse(value)
      const last = this.#out.last
      this.#out.append(last === '' || last === '\n' || last === ' ' ? text.replace(/^ /, '') : text)
    }
  }

  build(): ParsedDocument {
    const parsed = this.#out.build()
    const end = parsed.text.trimEnd().length
    const sections = parsed.sections
      .map((s) => ({ ...s, end: Math.min(s.end, end) }))
      .filter((s) => s.end > s.start)
    const title = this.#title ?? this.#firstH1
    return { ...(title && { title }), text: parsed.text.slice(0, end), sections }
  }

  #break(name: string): void {
    if (this.#heading) {
      if (name === 'br' || BLOCK.has(name)) this.#heading.text += ' '
    } else if (name === 'br') this.#out.append('\n')
    else if (BLOCK.has(name) || /^h[1-6]$/.test(name)) this.#out.breakParagraph()
  }

  #writeHeading(heading: { level: number; text: string }): void {
    this.#heading = undefined
    const words = heading.text.replace(/ +/g, ' ').trim()
    this.#path.splice(heading.level - 1, this.#path.length, words)
    for (let i = 0; i < heading.level - 1; i++) this.#path[i] ??= ''
    if (heading.level === 1) this.#firstH1 ??= words || undefined
    this.#out.breakParagraph()
    const headingPath = this.#path.filter((p) => p !== '')
    this.#out.section(headingPath.length > 0 ? { headingPath } : {})
    this.#out.heading(words)
    this.#out.breakParagraph()
  }
}

/** Browsers collapse ASCII whitespace only: a no-break space stays. */
function collapse(text: string): string {
  return text.replace(/[ \t\n\f\r]+/g, ' ')
}

/** The first `<title>` among these nodes (a title's content is text only: RCDATA). */
function titleOf(nodes: readonly T.ChildNode[]): string | undefined {
  for (const node of nodes) {
    if (!('tagName' in node) || node.tagName !== 'title') continue
    const text = node.childNodes.map((c) => ('value' in c ? c.value : '')).join('')
    return collapse(text).trim() || undefined
  }
  return undefined
}
