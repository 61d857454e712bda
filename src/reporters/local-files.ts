/**
 * File helpers for the local reporter: a JSON Lines reader in bounded chunks, append handles.
 * `readLines` and `syncDir` copy those of sources/local-log.ts, because adapters do not import each
 * other (eslint zones); move both to a shared module if one appears.
 */
import type { FileHandle } from 'node:fs/promises'
import { open } from 'node:fs/promises'

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
 * Complete lines from `from` to the end of the file. A last line without its newline is not
 * yielded: it is being written, or was torn by a crash.
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
    if (length === buffer.length) {
      const bigger = Buffer.allocUnsafe(buffer.length * 2)
      buffer.copy(bigger)
      buffer = bigger
    }
    const { bytesRead } = await file.read(buffer, length, buffer.length - length, base + length)
    if (bytesRead === 0) return
    length += bytesRead
  }
}

export interface AppendFile {
  /** Opened for appending and reading. */
  readonly file: FileHandle
  /** The last byte is not a newline: a writer crashed mid-record. */
  readonly endsMidLine: boolean
}

export async function openAppend(path: string): Promise<AppendFile> {
  const file = await open(path, 'a+')
  try {
    const { size } = await file.stat()
    if (size === 0) return { file, endsMidLine: false }
    const last = Buffer.alloc(1)
    await file.read(last, 0, 1, size - 1)
    return { file, endsMidLine: last[0] !== newline }
  } catch (err) {
    await file.close()
    throw err
  }
}

/** Makes created directory entries durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
