/**
 * Kafka records ⇄ dead letters and handled marks. A dead letter is the record the Kafka reporter
 * writes (reporters/kafka.ts: the original bytes, string headers for the error and the origin,
 * `x-origin-key` for the original key, `x-payload-*` when the payload was cut); a mark is a JSON
 * record of the compacted handled topic keyed by the letter's `partition:offset`.
 */
import { deadLetterHeaders as h } from '../reporters/kafka-dead-letter.ts'
import type { TopicRecord } from '../kafka/reader.ts'
import type { HandledMark, RawLetter } from './dead-letter.ts'
import { letterId, replaysHeader } from './dead-letter.ts'
import { markFields, markFrom } from './mark-codec.ts'

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

export function letterOf(record: TopicRecord): RawLetter {
  const text = (name: string) => {
    const value = record.headers.get(name)
    return value === undefined ? undefined : value.toString('utf8')
  }
  const int = (name: string) => {
    const n = Number(text(name))
    return Number.isSafeInteger(n) ? n : undefined
  }
  const key = record.headers.get(h.originKey)
  const truncated = text(h.payloadTruncated) === 'true'
  const replays = int(replaysHeader)
  return {
    id: letterId(record.partition, record.offset),
    partition: record.partition,
    offset: record.offset,
    at: new Date(record.timestamp).toISOString(),
    taskId: text(h.taskId) ?? record.key?.toString('utf8') ?? '',
    error: {
      class: text(h.errorClass) ?? '',
      code: text(h.errorCode) ?? 'unknown',
      message: text(h.errorReason) ?? '',
    },
    origin: {
      topic: text(h.originTopic) ?? '',
      partition: int(h.originPartition) ?? -1,
      offset: int(h.originOffset) ?? -1,
    },
    attempts: int(h.attempts) ?? 0,
    workerId: text(h.workerId) ?? '',
    headers: headerText(record.headers),
    ...(key !== undefined && { key: new Uint8Array(key) }),
    value: new Uint8Array(record.value),
    ...(truncated && {
      truncated: {
        bytes: int(h.payloadBytes) ?? record.value.length,
        sha256: text(h.payloadSha256) ?? '',
      },
    }),
    ...(replays !== undefined && { replays }),
  }
}

/** Header values as text; a value that is not UTF-8 (a binary key) as `base64:…`. */
function headerText(headers: ReadonlyMap<string, Buffer>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of headers) {
    try {
      out[name] = strictUtf8.decode(value)
    } catch {
      out[name] = `base64:${value.toString('base64')}`
    }
  }
  return out
}

export function markRecord(mark: HandledMark): { key: string; value: Buffer } {
  return { key: mark.id, value: Buffer.from(JSON.stringify(markFields(mark))) }
}

/** The mark a handled-topic record holds, or undefined for a record that is not one. */
export function markOf(record: TopicRecord): HandledMark | undefined {
  return markFrom(record.key?.toString('utf8'), record.value.toString('utf8'))
}
