/** Plain text: the whole text is one section. */
import { decodeText } from './builder.ts'
import type { DocumentParser } from './document.ts'

export const textParser: DocumentParser = {
  format: 'txt',
  parse: ({ bytes }) => {
    const text = decodeText(bytes)
    return Promise.resolve({ text, sections: text ? [{ start: 0, end: text.length }] : [] })
  },
}
