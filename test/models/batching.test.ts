import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RUN_COST_TOKENS, paddedTokens, planBatches } from '../../src/models/batching.ts'
import { l2normalize, pool } from '../../src/models/pooling.ts'

describe('planBatches', () => {
  it('should cover every item once and keep each batch within the token budget', () => {
    const lengths = Array.from({ length: 500 }, (_, i) => 5 + ((i * 7919) % 120))
    const batches = planBatches(lengths, 1024)
    assert.deepEqual(
      batches.flat().sort((a, b) => a - b),
      lengths.map((_, i) => i),
    )
    for (const b of batches) assert.ok(b.length * Math.max(...b.map((i) => lengths[i]!)) <= 1024)
  })

  it('should cut padding compared with arrival order', () => {
    const lengths = Array.from({ length: 256 }, (_, i) => (i % 2 === 0 ? 8 : 120))
    const sorted = paddedTokens(lengths, planBatches(lengths, 2048))
    const fifo: number[][] = []
    for (let i = 0; i < lengths.length; i += 16)
      fifo.push(lengths.slice(i, i + 16).map((_, j) => i + j))
    const real = lengths.reduce((a, b) => a + b, 0)
    assert.ok(sorted < paddedTokens(lengths, fifo), 'length sorting pads less than arrival order')
    assert.ok(sorted / real < 1.05, `padding waste ${sorted / real}`)
  })

  it('should split a batch that fits the budget when its lengths differ too much', () => {
    // 64 one-text tasks arriving together: everything fits one 8192-token batch
    const lengths = Array.from({ length: 64 }, (_, i) => 10 + ((i * 37) % 51))
    const batches = planBatches(lengths, 8192)
    const real = lengths.reduce((a, b) => a + b, 0)
    assert.ok(batches.length > 1)
    const padding = paddedTokens(lengths, batches) / real
    assert.ok(padding < 1.1, `padding ${padding}`)
    assert.ok(
      paddedTokens(lengths, [lengths.map((_, i) => i)]) / real > 1.5,
      'one batch would pad much more',
    )
  })

  it('should find the cheapest cut of the sorted lengths', () => {
    // every way to cut 9 sorted lengths into consecutive batches, against the plan
    const lengths = [31, 7, 12, 12, 30, 9, 60, 58, 8]
    const sorted = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b)
    const cost = (batches: readonly number[][]) =>
      paddedTokens(lengths, batches) + batches.length * RUN_COST_TOKENS
    let cheapest = Infinity
    for (let mask = 0; mask < 1 << (sorted.length - 1); mask++) {
      const batches: number[][] = [[]]
      sorted.forEach((index, k) => {
        batches.at(-1)!.push(index)
        if (mask & (1 << k)) batches.push([])
      })
      const fits = batches.every((b) => b.length * Math.max(...b.map((i) => lengths[i]!)) <= 100)
      if (fits) cheapest = Math.min(cheapest, cost(batches))
    }
    assert.equal(cost(planBatches(lengths, 100)), cheapest)
  })

  it('should run an item longer than the budget alone', () => {
    assert.deepEqual(planBatches([600, 3, 4], 512), [[1, 2], [0]])
  })
})

describe('pool', () => {
  const states = {
    data: Float32Array.from([1, 2, 3, 4, 100, 100, 5, 6, 7, 8, 9, 10]),
    batch: 2,
    seq: 3,
    hidden: 2,
  }

  it('should average only the real tokens with mean pooling', () => {
    const [a, b] = pool(states, [2, 3], 'mean', false)
    assert.deepEqual([...a!], [2, 3])
    assert.deepEqual([...b!], [7, 8])
  })

  it('should take the first token with cls pooling and normalise when asked', () => {
    const [a] = pool(states, [2, 3], 'cls', true)
    const norm = Math.hypot(1, 2)
    assert.ok(Math.abs(a![0]! - 1 / norm) < 1e-6 && Math.abs(a![1]! - 2 / norm) < 1e-6)
    assert.deepEqual(
      [...l2normalize(new Float32Array(2))],
      [0, 0],
      'a zero vector stays zero instead of NaN',
    )
  })
})
