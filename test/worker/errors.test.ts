import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { errorTable, toVectorizeError, VectorizeError } from '../../src/worker/errors.ts'

describe('errors', () => {
  it('should retry exactly the infrastructure codes', () => {
    for (const [code, kind] of Object.entries(errorTable))
      assert.equal(kind.retriable, kind.class === 'infrastructure', code)
  })

  it('VectorizeError should take retriable and class from its code, wherever it is made', () => {
    assert.equal(new VectorizeError('inference_failed', 'thread died').retriable, true)
    assert.equal(new VectorizeError('inference_rejected', 'bad input').retriable, false)
    assert.equal(new VectorizeError('task_timeout', 'too long').class, 'data')
    assert.equal(new VectorizeError('timeout', 'no answer').retriable, true)
    assert.deepEqual(new VectorizeError('store_unavailable', 'down').toJSON(), {
      code: 'store_unavailable',
      message: 'down',
      retriable: true,
    })
  })

  it('toVectorizeError should call a timed-out signal timeout (retried) and an abort cancelled', () => {
    const timedOut = toVectorizeError(new DOMException('late', 'TimeoutError'))
    assert.equal(timedOut.code, 'timeout')
    assert.equal(timedOut.retriable, true)
    const aborted = toVectorizeError(new DOMException('stop', 'AbortError'))
    assert.equal(aborted.code, 'cancelled')
    assert.equal(aborted.retriable, false)
    assert.equal(toVectorizeError(new Error('?')).code, 'internal')
  })
})
