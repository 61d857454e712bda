/**
 * Records and expected results for the filter test of the store contract. Semantics every adapter
 * must share: values match only their own JSON type (number 5 ≠ string "5"); `ne` is "not eq", so
 * it also matches records that lack the field; ranges only match numbers; conditions are ANDed.
 */
import type { FilterCondition, VectorRecord } from '../../src/stores/store.ts'

function item(id: string, vector: number[], metadata: Record<string, unknown>): VectorRecord {
  return {
    id,
    vector: new Float32Array(vector),
    taskId: 't',
    documentId: id,
    chunkIndex: 0,
    text: id,
    metadata,
  }
}

export const filterRecords: VectorRecord[] = [
  item('r1', [1, 0, 0, 0], { lang: 'en', n: 1, ok: true, quote: "it's", path: 'C:\\x' }),
  item('r2', [0, 1, 0, 0], { lang: 'fr', n: 5, ok: false, neg: -2.5 }),
  item('r3', [0, 0, 1, 0], { lang: 'en', n: 10, big: 1e21, nested: { lang: 'de' } }),
  item('r4', [0, 0, 0, 1], { n: '5', ok: 'true', other: 'x' }),
]

interface FilterCase {
  readonly filter: FilterCondition[]
  readonly expected: string[]
}

const c = (field: string, op: FilterCondition['op'], value: FilterCondition['value']) => ({
  field,
  op,
  value,
})

export const filterCases: FilterCase[] = [
  { filter: [c('lang', 'eq', 'en')], expected: ['r1', 'r3'] },
  { filter: [c('lang', 'ne', 'en')], expected: ['r2', 'r4'] },
  { filter: [c('lang', 'eq', 'de')], expected: [] }, // nested fields are not top-level
  { filter: [c('n', 'eq', 5)], expected: ['r2'] },
  { filter: [c('n', 'eq', '5')], expected: ['r4'] },
  { filter: [c('n', 'ne', 5)], expected: ['r1', 'r3', 'r4'] },
  { filter: [c('ok', 'eq', true)], expected: ['r1'] },
  { filter: [c('ok', 'eq', false)], expected: ['r2'] },
  { filter: [c('ok', 'eq', 'true')], expected: ['r4'] },
  { filter: [c('ok', 'ne', true)], expected: ['r2', 'r3', 'r4'] },
  { filter: [c('n', 'gt', 1)], expected: ['r2', 'r3'] },
  { filter: [c('n', 'gte', 1)], expected: ['r1', 'r2', 'r3'] },
  { filter: [c('n', 'lt', 10)], expected: ['r1', 'r2'] },
  { filter: [c('n', 'lte', 10)], expected: ['r1', 'r2', 'r3'] },
  { filter: [c('n', 'gt', 1), c('n', 'lt', 10)], expected: ['r2'] },
  { filter: [c('neg', 'lt', -2)], expected: ['r2'] },
  { filter: [c('big', 'gte', 1e21)], expected: ['r3'] },
  { filter: [c('lang', 'eq', 'en'), c('n', 'gt', 1)], expected: ['r3'] },
  { filter: [c('lang', 'eq', 'en'), c('ok', 'eq', true), c('n', 'lte', 1)], expected: ['r1'] },
  { filter: [c('missing', 'eq', 'x')], expected: [] },
  { filter: [c('missing', 'ne', 'x')], expected: ['r1', 'r2', 'r3', 'r4'] },
  // Values are data, never SQL: quotes, backslashes and injection attempts match literally.
  { filter: [c('quote', 'eq', "it's")], expected: ['r1'] },
  { filter: [c('path', 'eq', 'C:\\x')], expected: ['r1'] },
  { filter: [c('lang', 'eq', "en' OR '1'='1")], expected: [] },
  { filter: [c('lang', 'eq', 'en") OR ("1"="1')], expected: [] },
  { filter: [c('lang', 'ne', "x') OR true OR ('")], expected: ['r1', 'r2', 'r3', 'r4'] },
]
