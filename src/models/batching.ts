/**
 * Token-budget batching: inputs are sorted by length and packed so that padded tokens
 * (batch size × longest input) stay within the budget. Sorting cuts padding; the budget bounds
 * memory (ONNX Runtime's CPU arena grows to the largest batch it has seen; Hedgy-Labs/setoku#107).
 */

/** Groups item indexes into batches; each batch's `count × maxLength` ≤ `maxTokens` (a single longer item runs alone). */
export function planBatches(lengths: readonly number[], maxTokens: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b)
  const batches: number[][] = []
  let current: number[] = []
  for (const index of order) {
    const longest = lengths[index]! // ascending order: the newest item is the longest
    if (current.length > 0 && (current.length + 1) * longest > maxTokens) {
      batches.push(current)
      current = []
    }
    current.push(index)
  }
  if (current.length > 0) batches.push(current)
  return batches
}

/** Padded tokens the plan costs, and real tokens in it: their ratio is the padding waste. */
export function paddedTokens(lengths: readonly number[], batches: readonly number[][]): number {
  return batches.reduce(
    (sum, batch) => sum + batch.length * Math.max(...batch.map((i) => lengths[i]!)),
    0,
  )
}
