/**
 * The dead-letter log of the embedded queue: a segmented log `dlq-<base offset>.log`
 * (files/segments.ts), one dead letter per line, never rewritten: retention deletes whole closed
 * segments only (`queue.dlq_retention_ms`, `queue.dlq_retention_bytes`), so every record kept is
 * the bytes the worker wrote. A dead letter's offset is its line index across segments.
 *
 *   {"at":"<ISO time>","task_id":"t1","error":{"class":"data","code":…,"message":…},
 *    "origin":{"topic":"local","partition":0,"offset":7},"attempts":1,"worker_id":"w1",
 *    "value":<original message, verbatim>}      (one line in the file)
 *
 * A dead letter's original bytes are kept exactly: verbatim when they are JSON text on one line,
 * as `value_text` (a JSON string) when they are other UTF-8 text, as `value_b64` otherwise.
 */
import type { FileHandle } from 'node:fs/promises'
import { open } from 'node:fs/promises'
import type { ErrorClass, ErrorCode } from '../worker/errors.ts'
import type { DeadLetter } from './reporter.ts'
import { readLines } from '../files/lines.ts'
import { errorCode } from '../files/lock.ts'
import { listSegments } from '../files/segments.ts'

export const deadLetterPrefix = 'dlq'
export const deadLetterLockName = 'dlq.lock'

/** A dead letter as read back from the log. */
export interface StoredDeadLetter extends DeadLetter {
  readonly at: string
  /** Its offset in the dead-letter log. */
  readonly offset: number
}

export interface DamagedLine {
  readonly segment: string
  readonly position: number
}

/** Dead letters in the order they were written; `onDamaged` hears of lines that are not one. */
export async function* readDeadLetters(
  dir: string,
  signal: AbortSignal,
  onDamaged: (line: DamagedLine) => void,
): AsyncGenerator<StoredDeadLetter> {
  for (const segment of await listSegments(dir, deadLetterPrefix)) {
    let file: FileHandle
    try {
      file = await open(segment.path, 'r')
    } catch (err) {
      if (errorCode(err) === 'ENOENT') continue // deleted by retention since the listing
      throw err
    }
    try {
      let offset = segment.base
      for await (const { bytes, start } of readLines(file, 0)) {
        signal.throwIfAborted()
        const letter = bytes.length === 0 ? undefined : decodeDeadLetter(bytes, offset)
        if (letter) yield letter
        // an empty line is a line break older versions wrote after a torn record
        else if (bytes.length > 0) onDamaged({ segment: segment.path, position: start })
        offset++
      }
    } finally {
      await file.close()
    }
  }
}

/** When the dead letter starting `head` was written (its `at`), for rolling segments by age. */
export function deadLetterTime(head: Buffer): number | undefined {
  const at = /^\{"at":"([^"]{1,40})"/.exec(head.toString('latin1', 0, Math.min(head.length, 64)))
  const ms = at?.[1] === undefined ? NaN : Date.parse(at[1])
  return Number.isNaN(ms) ? undefined : ms
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const valueKey = ',"value":'
export function encodeDeadLetter(letter: DeadLetter, at: string): Buffer {
  const { value, key, taskId, error, origin, attempts, workerId } = letter
  const headers = JSON.stringify({
    at,
    task_id: taskId,
    error,
    origin,
    ...(key && { origin_key_b64: Buffer.from(key).toString('base64') }),
    attempts,
    worker_id: workerId,
  })
  const open = headers.slice(0, -1)
  const text = utf8(value)
  if (text !== undefined && !text.includes('\n') && parses(text)) {
    return Buffer.concat([Buffer.from(`${open}${valueKey}`), value, Buffer.from('}\n')])
  }
  const encoded =
    text === undefined
      ? `"value_b64":"${Buffer.from(value).toString('base64')}"`
      : `"value_text":${JSON.stringify(text)}`
  return Buffer.from(`${open},${encoded}}\n`)
}

interface StoredHeaders {
  at: string
  task_id: string
  error: { code: ErrorCode; message: string; class: ErrorClass }
  origin: { topic: string; partition: number; offset: number }
  origin_key_b64?: string
  attempts: number
  worker_id: string
  value_text?: string
  value_b64?: string
}

export function decodeDeadLetter(bytes: Buffer, offset: number): StoredDeadLetter | undefined {
  const text = bytes.toString('utf8')
  let stored: StoredHeaders
  try {
    stored = JSON.parse(text) as StoredHeaders
  } catch {
    return undefined
  }
  if (typeof stored.task_id !== 'string') return undefined
  // No `,"` can occur inside a JSON string (quotes are escaped there), and the headers have no
  // `value` key, so the first match is where the verbatim value starts.
  const valueStart = bytes.indexOf(valueKey)
  const value =
    stored.value_b64 !== undefined
      ? new Uint8Array(Buffer.from(stored.value_b64, 'base64'))
      : stored.value_text !== undefined
        ? new TextEncoder().encode(stored.value_text)
        : valueStart >= 0
          ? new Uint8Array(bytes.subarray(valueStart + valueKey.length, bytes.length - 1))
          : undefined
  if (value === undefined) return undefined
  const { task_id: taskId, error, origin, attempts, worker_id: workerId } = stored
  const key = stored.origin_key_b64
  return {
    at: stored.at,
    offset,
    value,
    ...(key !== undefined && { key: new Uint8Array(Buffer.from(key, 'base64')) }),
    taskId,
    error,
    origin,
    attempts,
    workerId,
  }
}

function utf8(value: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(value)
  } catch {
    return undefined
  }
}

function parses(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}
