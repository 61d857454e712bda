/**
 * The on-disk format of the local task log, `tasks.log`: JSON Lines, one record per message.
 *
 *   {"ts":1712345678901,"crc":305419896,"j":<the message, verbatim>}
 *   {"ts":1712345678901,"crc":305419896,"b64":"<the message, base64>"}
 *
 * `ts` is when it was appended (ms since epoch), `crc` the CRC-32 of the message bytes. A message
 * that is valid UTF-8 JSON text without a newline is embedded verbatim (`j`), so the log stays
 * readable with `jq .j` and the exact bytes are recovered by slicing the line, not by re-serializing.
 * Anything else (not JSON, pretty-printed JSON with newlines, invalid UTF-8) is stored as base64, so
 * every message round-trips byte for byte.
 *
 * The CRC tells a damaged line from a good one. A torn last line (a publisher crashed mid-write)
 * has no newline and is never read; a whole line fails its CRC when a read races the next
 * publisher's repair of that torn tail (it sees old and new bytes mixed), or when the file was
 * damaged. So the consumer reads a failing line once more before delivering it as it is, and the
 * worker then reports it as `invalid_json`.
 */
import { crc32 } from 'node:zlib'
import type { FileHandle } from 'node:fs/promises'
import { open, rename } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

export const newline = 0x0a
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export function encodeRecord(value: Uint8Array, timestamp: number): Buffer {
  const head = `{"ts":${timestamp},"crc":${crc32(value)},`
  if (isJsonLine(value)) {
    return Buffer.concat([Buffer.from(`${head}"j":`), value, Buffer.from('}\n')])
  }
  const base64 = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
  return Buffer.from(`${head}"b64":"${base64}"}\n`)
}

function isJsonLine(value: Uint8Array): boolean {
  if (value.includes(newline)) return false
  try {
    JSON.parse(strictUtf8.decode(value))
    return true
  } catch {
    return false
  }
}

export interface DecodedRecord {
  /** A copy, independent of the read buffer. */
  readonly value: Uint8Array
  readonly timestamp: number
}

/** The message in one line (without its newline), or undefined if the line is damaged. */
export function decodeRecord(line: Buffer): DecodedRecord | undefined {
  const head = /^\{"ts":(\d{1,16}),"crc":(\d{1,10}),"(j|b64)":/.exec(
    line.toString('latin1', 0, Math.min(line.length, 48)),
  )
  if (!head || line[line.length - 1] !== 0x7d) return undefined
  const [prefix, ts, crc, kind] = head as unknown as [string, string, string, string]
  const body = line.subarray(prefix.length, line.length - 1)
  const value = kind === 'j' ? new Uint8Array(body) : fromQuotedBase64(body)
  if (value === undefined || crc32(value) !== Number(crc)) return undefined
  return { value, timestamp: Number(ts) }
}

function fromQuotedBase64(body: Buffer): Uint8Array | undefined {
  if (body.length < 2 || body[0] !== 0x22 || body[body.length - 1] !== 0x22) return undefined
  return new Uint8Array(Buffer.from(body.toString('latin1', 1, body.length - 1), 'base64'))
}

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
  chunkBytes: number,
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

/** Replaces `path` with `data` so that a crash leaves either the old or the new content. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.tmp`)
  const file = await open(temp, 'w')
  try {
    await file.writeFile(data)
    await file.sync()
  } finally {
    await file.close()
  }
  await rename(temp, path)
  await syncDir(dirname(path))
}

/** Makes a created or renamed directory entry durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
