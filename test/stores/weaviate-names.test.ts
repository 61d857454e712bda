import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  className,
  collectionOf,
  escapeName,
  unescapeName,
} from '../../src/stores/weaviate-names.ts'

describe('weaviate names', () => {
  it('className should map collection names to valid Weaviate class names and back', () => {
    const names = ['notes', 'Notes', 'NOTES', 'my_Docs', 'a', 'Z9', 'x__y', 'A_b_C', 'v'.repeat(63)]
    for (const name of names) {
      const cls = className(name)
      assert.match(cls, /^[A-Z][_0-9A-Za-z]{0,254}$/, cls)
      assert.equal(collectionOf(cls), name)
    }
    assert.equal(className('notes'), 'Vnotes')
    assert.equal(className('my_Docs'), 'Vmy___docs')
  })

  it('className should keep names that differ only in case apart, case-insensitively too', () => {
    const names = ['ab', 'aB', 'Ab', 'AB', 'a_b', 'a_B', 'A_b']
    const lowered = new Set(names.map((n) => className(n).toLowerCase()))
    assert.equal(lowered.size, names.length)
  })

  it('collectionOf should return undefined for classes vectorize did not name', () => {
    for (const cls of ['Article', 'V', 'VAbc', 'Vab_', 'Vab_1', 'Vé']) {
      assert.equal(collectionOf(cls), undefined, cls)
    }
  })

  it('unescapeName should invert escapeName', () => {
    for (const s of ['', '_', '__', 'A', 'aA_Bb_9']) assert.equal(unescapeName(escapeName(s)), s)
  })
})
