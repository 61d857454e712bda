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
  }

  build(extra: Omit<ParsedDocument, 'text' | 'sections'> = {}): ParsedDocument {
    this.#close()
    return { ...extra, text: this.#parts.join(''), sections: this.#sections }
  }

  #close(): void {
    if (this.#length > this.#openedAt)
      this.#sections.push({ ...this.#open, start: this.#openedAt, end: this.#length })
    this.#openedAt = this.#length
  }
}

/** Decodes UTF-8 (a BOM dropped) and normalizes line ends to \n. */
export function decodeText(bytes: Buffer): string {
  return bytes
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
}
