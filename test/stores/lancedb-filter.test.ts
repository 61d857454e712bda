import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sqlNumber, sqlString, toWhere } from '../../src/stores/lancedb-filter.ts'
import { VectorizeError } from '../../src/worker/errors.ts'

describe('lancedb filter translation', () => {
  it('toWhere should return undefined for no conditions', () => {
    assert.equal(toWhere(undefined), undefined)
    assert.equal(toWhere([]), undefined)
  })

  it('toWhere should AND conditions over the term columns', () => {
    const where = toWhere([
      { field: 'lang', op: 'eq', value: 'en' },
      { field: 'ok', op: 'ne', value: true },
      { field: 'n', op: 'gte', value: 2 },
    ])
    assert.equal(
      where,
      "(array_has(meta_str, 'lang=en')) AND (NOT array_has(meta_bool, 'ok=true')) AND " +
        "(array_element(meta_num_vals, CAST(array_position(meta_num_keys, 'n') AS BIGINT)) >= 2e+0)",
    )
  })

  it('sqlString should double quotes and leave everything else literal', () => {
    assert.equal(sqlString('a\'b\\c"d'), "'a''b\\c\"d'")
    assert.equal(sqlString("' OR '1'='1"), "''' OR ''1''=''1'")
  })

  it('sqlNumber should write floats in exponent form and refuse non-finite numbers', () => {
    assert.equal(sqlNumber(2 ** 64), '1.8446744073709552e+19')
    assert.equal(sqlNumber(-0.5), '-5e-1')
    assert.throws(() => sqlNumber(Number.POSITIVE_INFINITY), VectorizeError)
  })

  it('toWhere should reject fields that are not plain identifiers', () => {
    for (const field of ['a b', "a'", 'a=b', 'a.b', '1a', '']) {
      assert.throws(
        () => toWhere([{ field, op: 'eq', value: 'x' }]),
        (err: unknown) => err instanceof VectorizeError && err.code === 'store_rejected',
        field,
      )
    }
  })
})
