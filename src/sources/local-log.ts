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
 * The log is split into segments `tasks-<base offset>.log` (files/segments.ts); offsets are line
 * indexes across them.
 *
 * The CRC tells a damaged line from a good one. A torn last line (a publisher crashed mid-write)
 * has no newline and is never read; a whole line fails its CRC when a read races the next
 * publisher's repair of that torn tail (it sees old and new bytes mixed), or when the file was
 * damaged. So the consumer reads a failing line once more before delivering it as it is, and the
 * worker then reports it as `invalid_json`.
 */
import { crc32 } from 'node:zlib'
import { newline } from '../files/lines.ts'

export const taskLogPrefix = 'tasks'

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

/** When the record starting `head` was appended (its `ts`), for rolling segments by age. */
export function recordTime(head: Buffer): number | undefined {
  const ts = /^\{"ts":(\d{1,16}),/.exec(head.toString('latin1', 0, Math.min(head.length, 32)))?.[1]
  return ts === undefined ? undefined : Number(ts)
}
