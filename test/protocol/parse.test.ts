import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseTask, type MessageLimits } from '../../src/protocol/parse.ts'
import { VectorizeError, type ErrorCode } from '../../src/worker/errors.ts'

const limits: MessageLimits = {
  max_message_bytes: 4096,
  max_text_bytes: 256,
  max_batch_items: 3,
  max_metadata_bytes: 128,
}
const bytes = (s: string) => new TextEncoder().encode(s)
const task = (fields: Record<string, unknown>) =>
  bytes(JSON.stringify({ version: 1, task_id: 't1', ...fields }))

function rejects(input: Uint8Array, code: ErrorCode, message: RegExp): void {
  assert.throws(
    () => parseTask(input, limits),
    (err: unknown) => {
      assert.ok(err instanceof VectorizeError)
      assert.equal(err.code, code)
      assert.match(err.message, message)
      assert.equal(err.retriable, false)
      return true
    },
  )
}

describe('parseTask', () => {
  it('should accept text and batch tasks and default the version', () => {
    const text = parseTask(bytes('{"task_id":"a","type":"text","text":"hello"}'), limits)
    assert.equal(text.version, 1)
    assert.equal(text.type, 'text')
    const batch = parseTask(
      task({ type: 'batch', items: [{ text: 'a' }, { id: 'x', text: 'b', metadata: { n: 1 } }] }),
      limits,
    )
    assert.equal(batch.type === 'batch' && batch.items.length, 2)
  })

  it('should validate image and document tasks too', () => {
    assert.equal(
      parseTask(task({ type: 'image', image: { url: 'https://example.com/a.png' } }), limits).type,
      'image',
    )
    assert.equal(
      parseTask(
        task({ type: 'document', document: { id: 'd', content: 'x', format: 'md' } }),
        limits,
      ).type,
      'document',
    )
    rejects(task({ type: 'image', image: { path: 'a', url: 'b' } }), 'invalid_task', /image/)
  })

  it('should say where a message is not JSON', () => {
    rejects(bytes('{"task_id": "x", "type": '), 'invalid_json', /not valid JSON/)
    rejects(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), 'invalid_json', /UTF-8/)
  })

  it('should reject a missing task_id', () => {
    rejects(bytes('{"type":"text","text":"hi"}'), 'invalid_task', /task_id/)
  })

  it('should reject an unknown type and list the known ones', () => {
    rejects(
      task({ type: 'video', text: 'x' }),
      'invalid_task',
      /"video" is not a task type; expected one of text, batch, image, document/,
    )
  })

  it('should reject an unsupported protocol version', () => {
    rejects(task({ version: 2, type: 'text', text: 'x' }), 'unsupported_version', /version 2/)
  })

  it('should reject empty and whitespace-only text, naming the item', () => {
    rejects(task({ type: 'text', text: '' }), 'empty_text', /^text: text is empty/)
    rejects(
      task({ type: 'batch', items: [{ text: 'ok' }, { text: '  \n' }] }),
      'empty_text',
      /items\.1\.text/,
    )
  })

  it('should reject texts, batches and metadata over their limits, naming the setting', () => {
    rejects(
      task({ type: 'text', text: 'x'.repeat(257) }),
      'input_too_large',
      /257 bytes; the limit is 256 \(processing\.max_text_bytes\)/,
    )
    rejects(
      task({ type: 'batch', items: [1, 2, 3, 4].map(() => ({ text: 'a' })) }),
      'input_too_large',
      /4 items; the limit is 3/,
    )
    rejects(
      task({ type: 'text', text: 'x', metadata: { blob: 'y'.repeat(200) } }),
      'input_too_large',
      /metadata/,
    )
    rejects(bytes(' '.repeat(5000)), 'input_too_large', /5000 bytes; the limit is 4096/)
  })

  it('should refuse __proto__ and constructor.prototype keys without polluting prototypes', () => {
    rejects(
      bytes('{"task_id":"p","type":"text","text":"x","metadata":{"__proto__":{"polluted":true}}}'),
      'unsafe_json',
      /__proto__/,
    )
    rejects(
      bytes(
        '{"task_id":"p","type":"text","text":"x","metadata":{"constructor":{"prototype":{"polluted":true}}}}',
      ),
      'unsafe_json',
      /forbidden key/,
    )
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
  })

  it('should reject unknown fields and wrong types with their path', () => {
    rejects(task({ type: 'text', text: 'x', colour: 'red' }), 'invalid_task', /colour/)
    rejects(task({ type: 'text', text: 42 }), 'invalid_task', /^text: /)
    rejects(task({ type: 'text', text: 'x', collection: 'has-dash' }), 'invalid_task', /collection/)
    rejects(bytes('[1,2]'), 'invalid_task', /JSON object/)
  })
})
