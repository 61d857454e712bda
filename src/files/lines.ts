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

export interface Counted {
  /** Complete lines (newlines) found. */
  readonly lines: number
  /** Position just past the last of them; `from` when there was none. */
  readonly end: number
}

/** Counts the complete lines in [from, to) of `file`. */
export async function countLines(file: FileHandle, from: number, to: number): Promise<Counted> {
  const buffer = Buffer.allocUnsafe(256 * 1024)
  let lines = 0
  let end = from
  for (let position = from; position < to;) {
    const { bytesRead } = await file.read(
      buffer,
      0,
      Math.min(buffer.length, to - position),
      position,
    )
    if (bytesRead === 0) break
    const view = buffer.subarray(0, bytesRead)
    for (let i = view.indexOf(newline); i >= 0; i = view.indexOf(newline, i + 1)) {
      lines++
      end = position + i + 1
    }
    position += bytesRead
  }
  return { lines, end }
}

/** Position just past the last newline before `size` (0 if none), scanning backwards in chunks. */
export async function endOfLastLine(file: FileHandle, size: number): Promise<number> {
  const chunk = Buffer.allocUnsafe(64 * 1024)
  let end = size
  while (end > 0) {
    const start = Math.max(0, end - chunk.length)
    const { bytesRead } = await file.read(chunk, 0, end - start, start)
    const nl = chunk.subarray(0, bytesRead).lastIndexOf(newline)
    if (nl >= 0) return start + nl + 1
    end = start
  }
  return 0
}

/**
 * Cuts a torn last record (the file does not end with a newline: a writer crashed or failed
 * mid-append) and returns the size left and the bytes cut. Only under the file's write lock.
 */
export async function cutTornTail(file: FileHandle): Promise<{ size: number; cut: number }> {
  const { size } = await file.stat()
  if (size === 0) return { size, cut: 0 }
  const last = Buffer.alloc(1)
  await file.read(last, 0, 1, size - 1)
  if (last[0] === newline) return { size, cut: 0 }
  const keep = await endOfLastLine(file, size)
  await file.truncate(keep)
  return { size: keep, cut: size - keep }
}
