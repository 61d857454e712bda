/** The lines of `dlq.handled`, the embedded queue's handled marks (format in local.ts). */
import type { HandledMark } from './dead-letter.ts'
import { markFields, markFrom } from './mark-codec.ts'

export function markLine(mark: HandledMark): string {
  return `${JSON.stringify({ id: mark.id, ...markFields(mark) })}\n`
}

/** The mark on one line, or undefined for a line that is not one (torn by a crash). */
export function parseMarkLine(bytes: Buffer): HandledMark | undefined {
  const text = bytes.toString('utf8')
  const id = /^\{"id":"(\d{1,9}:\d{1,18})"/.exec(text)?.[1]
  return markFrom(id, text)
}
