/**
 * Builds a parsed document's text and sections as a parser walks its source: append text, start a
 * new section when the location (page, heading path) changes. Empty sections are dropped.
 */
import type { ParsedDocument, Section } from './document.ts'

type Location = Omit<Section, 'start' | 'end'>

export class TextBuilder {
  #parts: string[] = []
  #length = 0
  #sections: Section[] = []
  #open: Location = {}
  #openedAt = 0
  /** Where the open section's heading text ended; -1 when it has none. */
  #headingEnd = -1

  get length(): number {
    return this.#length
  }

  /** The last character appended so far ('' when empty). */
  get last(): string {
    return this.#parts.at(-1)?.at(-1) ?? ''
  }

  append(text: string): void {
    if (text.length === 0) return
    this.#parts.push(text)
    this.#length += text.length
  }

  /** Appends a paragraph break unless the text already ends with one (or is empty). */
  breakParagraph(): void {
    if (this.#length === 0) return
    const tail = (this.#parts.at(-1) ?? '').slice(-2)
    if (tail.endsWith('\n\n')) return
    this.append(tail.endsWith('\n') ? '\n' : '\n\n')
  }

  /** Closes the current section here and opens one with this location. */
  section(location: Location): void {
    this.#close()
    this.#open = location
    this.#openedAt = this.#length
    this.#headingEnd = -1
  }

  /** Appends the open section's heading: a section with nothing after its heading is dropped. */
  heading(text: string): void {
    this.append(text)
    this.#headingEnd = this.#length
  }

  build(extra: Omit<ParsedDocument, 'text' | 'sections'> = {}): ParsedDocument {
    this.#close()
    return { ...extra, text: this.#parts.join(''), sections: this.#sections }
  }

  #close(): void {
    const bare = this.#headingEnd >= 0 && this.#tailIsBlank(this.#headingEnd)
    if (this.#length > this.#openedAt && !bare)
      this.#sections.push({ ...this.#open, start: this.#openedAt, end: this.#length })
    this.#openedAt = this.#length
  }

  #tailIsBlank(from: number): boolean {
    let at = this.#length
    for (let i = this.#parts.length - 1; i >= 0 && at > from; i--) {
      const part = this.#parts[i]!
      const tail = part.slice(Math.max(0, from - (at - part.length)))
      if (tail.trim() !== '') return false
      at -= part.length
    }
    return true
  }
}

/** Decodes UTF-8 (a BOM dropped) and normalizes line ends to \n. */
export function decodeText(bytes: Buffer): string {
  return bytes
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
}
