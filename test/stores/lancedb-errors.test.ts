import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { translateLanceError } from '../../src/stores/lancedb-errors.ts'
import { VectorizeError } from '../../src/worker/errors.ts'

// Messages as LanceDB 0.31 writes them (code is always "GenericFailure").
const conflict =
  'lance error: Commit conflict for version 7: Failed to commit the transaction after 5 retries., /usr/local/cargo/registry/src/lance-8.0.0/src/io/commit.rs:1:1'
const io =
  'lance error: IO error: No such file or directory (os error 2), /usr/local/cargo/x.rs:1:1'
const invalid =
  'Failed to execute query stream: GenericFailure, lance error: Invalid user input: Schema error: No field named x., /usr/local/cargo/y.rs:2:2'

describe('lancedb error translation', () => {
  it('translateLanceError should make commit conflicts and I/O errors retriable store_unavailable', () => {
    for (const message of [conflict, io]) {
      const err = translateLanceError(new Error(message), 'upsert Docs')
      assert.equal(err.code, 'store_unavailable')
      assert.equal(err.retriable, true)
      assert.ok(err.message.startsWith('upsert Docs: '))
      assert.ok(!err.message.includes('/usr/local/cargo'), 'source locations are dropped')
    }
  })

  it('translateLanceError should make invalid input a non-retriable store_rejected', () => {
    const err = translateLanceError(new Error(invalid), 'search Docs')
    assert.equal(err.code, 'store_rejected')
    assert.equal(err.retriable, false)
  })

  it('translateLanceError should keep VectorizeErrors and map aborts and unknowns', () => {
    const own = new VectorizeError('dimension_mismatch', 'x')
    assert.equal(translateLanceError(own, 'a'), own)
    const abort = new Error('stop')
    abort.name = 'AbortError'
    assert.equal(translateLanceError(abort, 'a').code, 'cancelled')
    const unknown = translateLanceError(new Error('something odd'), 'a')
    assert.equal(unknown.code, 'internal')
    assert.equal(unknown.retriable, false)
  })
})
