import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Filters } from 'weaviate-client'
import type { FilterCondition } from '../../src/stores/store.ts'
import { compileFilter } from '../../src/stores/weaviate-filter.ts'
import { useCollection } from '../../src/stores/weaviate-connect.ts'
import { VectorizeError } from '../../src/worker/errors.ts'

/** The filter builder of a collection handle, without a server (it only builds values). */
async function builder() {
  const weaviate = (await import('weaviate-client')).default
  const client = await weaviate.connectToCustom({ httpPort: 9, grpcPort: 9, skipInitChecks: true })
  return { f: useCollection(client, 'Vx').filter, close: () => client.close() }
}

const c = (field: string, op: FilterCondition['op'], value: FilterCondition['value']) => ({
  field,
  op,
  value,
})

describe('weaviate filter', () => {
  it('compileFilter should resolve conditions on properties the class lacks without a query', async (t) => {
    const { f, close } = await builder()
    t.after(close)
    const none = () => false
    assert.deepEqual(compileFilter([c('x', 'eq', 1)], none, f), { kind: 'none' })
    assert.deepEqual(compileFilter([c('x', 'gt', 1)], none, f), { kind: 'none' })
    assert.deepEqual(compileFilter([c('x', 'ne', 'a')], none, f), { kind: 'all' })
    assert.deepEqual(compileFilter(undefined, none, f), { kind: 'all' })
  })

  it('compileFilter should filter on the typed property, wrapped or scaled, and AND conditions', async (t) => {
    const { f, close } = await builder()
    t.after(close)
    const all = () => true
    const one = compileFilter([c('lang', 'eq', ' en')], all, f)
    assert.equal(one.kind, 'some')
    assert.deepEqual(one.kind === 'some' && one.filter, f.byProperty('ms_lang').equal('| en|'))
    const two = compileFilter([c('N', 'gte', 1e21), c('ok', 'ne', true)], all, f)
    assert.deepEqual(
      two.kind === 'some' && two.filter,
      Filters.and(
        f.byProperty('mn__n').greaterOrEqual(1e21 * 2 ** -64),
        Filters.not(f.byProperty('mb_ok').equal(true)),
      ),
    )
  })

  it('compileFilter should reject bad fields, ops and values with store_rejected', async (t) => {
    const { f, close } = await builder()
    t.after(close)
    const bad: FilterCondition[] = [
      c('a b', 'eq', 'x'),
      c('nested.a', 'eq', 'x'),
      c('x'.repeat(111), 'eq', 'x'),
      c('n', 'gt', 'x'),
      c('n', 'like' as 'eq', 'x'),
      c('n', 'lt', Number.NaN),
      c('n', 'eq', null as unknown as string),
    ]
    for (const condition of bad) {
      assert.throws(
        () => compileFilter([condition], () => true, f),
        (err: unknown) => err instanceof VectorizeError && err.code === 'store_rejected',
        JSON.stringify(condition),
      )
    }
  })
})
