/**
 * Reading JSON Lines files in bounded chunks, for the embedded queue's logs (sources/local.ts,
 * reporters/local.ts). A line is complete only with its newline: a torn last line is never yielded.
 */
import type { FileHandle } from 'node:fs/promises'

export const newline = 0x0a

export interface Line {
  /** The line without its newline; a view into the reader's buffer, valid until the next pull. */
  readonly bytes: Buffer
  /** Byte position of the line's first byte. */
  readonly start: number
  /** Byte position just past its newline: where the next line starts. */
  readonly end: number
}

/**
 * Complete lines from `from` to the end of the file, read `chunkBytes` at a time (the buffer only
 * grows for a line longer than that). A last line without its newline is not yielded: it is being
 * written, or was torn by a crash; the caller reads it again from its start later.
 */
export async function* readLines(
  file: FileHandle,
  from: number,
  chunkBytes = 64 * 1024,
): AsyncGenerator<Line, void, undefined> {
  let buffer: Buffer = Buffer.allocUnsafe(chunkBytes)
  let base = from // file position of buffer[0]
  let length = 0 // bytes of buffer holding data
  let lineStart = 0 // start of the next line in buffer
  let searched = 0 // no newline in buffer[lineStart, searched)
  for (;;) {
    const nl = buffer.subarray(0, length).indexOf(newline, searched)
    if (nl >= 0) {
      yield { bytes: buffer.subarray(lineStart, nl), start: base + lineStart, end: base + nl + 1 }
      lineStart = searched = nl + 1
      continue
    }
    if (lineStart > 0) {
      buffer.copy(buffer, 0, lineStart, length)
      length -= lineStart
      base += lineStart
      lineStart = 0
    }
    searched = length
    if (length === buffer.length) buffer = grow(buffer)
    const { bytesRead } = await file.read(buffer, length, buffer.length - length, base + length)
    if (bytesRead === 0) return
    length += bytesRead
  }
}

function grow(buffer: Buffer): Buffer {
  const bigger = Buffer.allocUnsafe(buffer.length * 2)
  buffer.copy(bigger)
  return bigger
}
