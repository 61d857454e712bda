import * as assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import {
  capText,
  deadLetterHeaders as h,
  deadLetterRecord,
  maxHeaderValueBytes,
  withoutPayload,
} from '../../src/reporters/kafka-dead-letter.ts'
import type { DeadLetter } from '../../src/reporters/reporter.ts'

const letter = (value: Uint8Array, extra: Partial<DeadLetter> = {}): DeadLetter => ({
  value,
  taskId: 'big-1',
  error: { code: 'input_too_large', message: 'text is 2000000 bytes', class: 'data' },
  origin: { topic: 'tasks', partition: 2, offset: 41 },
  attempts: 1,
  workerId: 'w-1',
  ...extra,
})

/** What librdkafka would count, roughly: key, value, header names and values. */
function size(record: ReturnType<typeof deadLetterRecord>): number {
  let n = Buffer.byteLength(record.key) + record.value.length
  for (const [name, value] of Object.entries(record.headers))
    n += Buffer.byteLength(name) + Buffer.byteLength(value)
  return n
}

describe('Kafka dead-letter records', () => {
  it('deadLetterRecord should keep a payload that fits whole, with no truncation headers', () => {
    const value = Buffer.from('{"task_id":"big-1"}')
    const record = deadLetterRecord(letter(value, { key: Buffer.from('k') }), 1_000_000)
    assert.equal(record.truncated, false)
    assert.ok(record.value.equals(value))
    assert.equal(record.key, 'big-1')
    assert.equal(String(record.headers[h.originKey]), 'k')
    assert.equal(record.headers[h.payloadTruncated], undefined)
  })

  it('deadLetterRecord should cut a payload that does not fit and say so in its headers', () => {
    const value = Buffer.alloc(2_000_000, 0x61)
    const record = deadLetterRecord(letter(value), 1_000_000)
    assert.equal(record.truncated, true)
    assert.ok(size(record) <= 1_000_000 - 256, `${size(record)} bytes leave room for framing`)
    assert.ok(record.value.length > 990_000, `${record.value.length} bytes kept`)
    assert.ok(value.subarray(0, record.value.length).equals(record.value), 'a prefix')
    assert.deepEqual(
      [record.headers[h.payloadTruncated], record.headers[h.payloadBytes]],
      ['true', '2000000'],
    )
    assert.equal(record.headers[h.payloadSha256], createHash('sha256').update(value).digest('hex'))
  })

  it('withoutPayload should keep every header and no payload', () => {
    const value = Buffer.alloc(5_000, 0x62)
    const record = withoutPayload(letter(value))
    assert.equal(record.value.length, 0)
    assert.equal(record.headers[h.errorCode], 'input_too_large')
    assert.equal(record.headers[h.payloadBytes], '5000')
  })

  it('deadLetterRecord should cap a long key and a long reason', () => {
    const key = Buffer.alloc(10_000, 0x6b)
    const message = 'x'.repeat(50_000)
    const error = { ...letter(Buffer.alloc(1)).error, message }
    const record = deadLetterRecord(letter(Buffer.from('{}'), { key, error }), 1_000_000)
    assert.equal((record.headers[h.originKey] as Buffer).length, maxHeaderValueBytes)
    assert.equal(record.headers[h.originKeyTruncated], 'true')
    assert.equal(record.headers[h.originKeyBytes], '10000')
    assert.ok(Buffer.byteLength(record.headers[h.errorReason]!) <= maxHeaderValueBytes)
  })

  it('capText should cut on a character boundary and mark the cut', () => {
    const text = '€'.repeat(maxHeaderValueBytes) // 3 bytes each
    const capped = capText(text)
    assert.ok(Buffer.byteLength(capped) <= maxHeaderValueBytes)
    assert.ok(capped.endsWith('€…'))
    assert.equal(capText('short'), 'short')
  })
})
