/**
 * The Kafka record of a dead letter: the original message bytes as its value, keyed by task id,
 * with string headers saying what was wrong and where the message came from (reliability.md
 * A2.3), and the original Kafka key as `x-origin-key` (raw bytes).
 *
 * A dead letter must never be refused for its size: the tasks topic may allow bigger messages
 * than the worker's producer sends (`kafka.max_message_bytes`) or the dead-letter topic keeps
 * (issue 10: a 2 MB task whose dead letter was refused stopped every worker of the group). So:
 * - every header value is capped at `maxHeaderValueBytes` (a long error reason, an odd key);
 * - a payload that does not fit the producer's limit is cut to what fits, and the headers
 *   `x-payload-truncated: true`, `x-payload-bytes` (the original size) and `x-payload-sha256`
 *   (of the original bytes, hex) say so;
 * - `withoutPayload` is the same dead letter with an empty payload, for a topic that refuses even
 *   the cut one (its `max.message.bytes` below the producer's limit).
 */
import { createHash } from 'node:crypto'
import { asBuffer } from '../kafka/producer.ts'
import type { DeadLetter } from './reporter.ts'

/** Header names of a dead letter; values are strings except `x-origin-key` (the key's bytes). */
export const deadLetterHeaders = {
  errorClass: 'x-error-class',
  errorCode: 'x-error-code',
  errorReason: 'x-error-reason',
  originTopic: 'x-origin-topic',
  originPartition: 'x-origin-partition',
  originOffset: 'x-origin-offset',
  originKey: 'x-origin-key',
  originKeyTruncated: 'x-origin-key-truncated',
  originKeyBytes: 'x-origin-key-bytes',
  attempts: 'x-attempts',
  workerId: 'x-worker-id',
  taskId: 'x-task-id',
  payloadTruncated: 'x-payload-truncated',
  payloadBytes: 'x-payload-bytes',
  payloadSha256: 'x-payload-sha256',
} as const

/** Longest header value, in bytes; longer reasons end in `…`, longer keys are cut. */
export const maxHeaderValueBytes = 4096

/**
 * Room kept for what librdkafka counts besides key, value and headers: the record batch header
 * (61 bytes), the record's own fields and the varint lengths of every part.
 */
const framingBytes = 512

export type HeaderValue = string | Buffer

export interface DeadLetterRecord {
  readonly key: string
  readonly value: Buffer
  readonly headers: Record<string, HeaderValue>
  /** The payload was cut (or left out) to fit. */
  readonly truncated: boolean
}

/** The dead letter as one record of at most `maxBytes`, its payload cut if it must be. */
export function deadLetterRecord(letter: DeadLetter, maxBytes: number): DeadLetterRecord {
  const value = asBuffer(letter.value)
  const headers = headersOf(letter)
  const fixed = framingBytes + Buffer.byteLength(letter.taskId) + sizeOf(headers)
  if (fixed + value.length <= maxBytes) {
    return { key: letter.taskId, value, headers, truncated: false }
  }
  const cut = truncationHeaders(value)
  const room = maxBytes - fixed - sizeOf(cut)
  return truncatedRecord(letter, value.subarray(0, Math.max(0, room)), { ...headers, ...cut })
}

/** The dead letter with no payload at all, for a topic that refuses even the cut one. */
export function withoutPayload(letter: DeadLetter): DeadLetterRecord {
  const value = asBuffer(letter.value)
  return truncatedRecord(letter, Buffer.alloc(0), {
    ...headersOf(letter),
    ...truncationHeaders(value),
  })
}

function truncatedRecord(letter: DeadLetter, value: Buffer, headers: Record<string, HeaderValue>) {
  return { key: letter.taskId, value, headers, truncated: true }
}

function truncationHeaders(value: Buffer): Record<string, string> {
  const h = deadLetterHeaders
  return {
    [h.payloadTruncated]: 'true',
    [h.payloadBytes]: String(value.length),
    [h.payloadSha256]: createHash('sha256').update(value).digest('hex'),
  }
}

export function headersOf(letter: DeadLetter): Record<string, HeaderValue> {
  const h = deadLetterHeaders
  const text: Record<string, string> = {
    [h.errorClass]: letter.error.class,
    [h.errorCode]: letter.error.code,
    [h.errorReason]: letter.error.message,
    [h.originTopic]: letter.origin.topic,
    [h.originPartition]: String(letter.origin.partition),
    [h.originOffset]: String(letter.origin.offset),
    [h.attempts]: String(letter.attempts),
    [h.workerId]: letter.workerId,
    [h.taskId]: letter.taskId,
  }
  const headers: Record<string, HeaderValue> = {}
  for (const [name, value] of Object.entries(text)) headers[name] = capText(value)
  return { ...headers, ...keyHeaders(letter.key) }
}

function keyHeaders(key: Uint8Array | undefined): Record<string, HeaderValue> {
  if (key === undefined) return {}
  const h = deadLetterHeaders
  const bytes = asBuffer(key)
  if (bytes.length <= maxHeaderValueBytes) return { [h.originKey]: bytes }
  return {
    [h.originKey]: bytes.subarray(0, maxHeaderValueBytes),
    [h.originKeyTruncated]: 'true',
    [h.originKeyBytes]: String(bytes.length),
  }
}

/** `text` in at most `maxHeaderValueBytes` UTF-8 bytes, cut on a character boundary. */
export function capText(text: string): string {
  const bytes = Buffer.from(text)
  if (bytes.length <= maxHeaderValueBytes) return text
  let end = maxHeaderValueBytes - 3 // room for the 3 bytes of '…'
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end-- // not inside a character
  return `${bytes.subarray(0, end).toString()}…`
}

function sizeOf(headers: Record<string, HeaderValue>): number {
  let n = 0
  for (const [name, value] of Object.entries(headers)) {
    n += Buffer.byteLength(name) + Buffer.byteLength(value) + 10 // two varint lengths
  }
  return n
}
