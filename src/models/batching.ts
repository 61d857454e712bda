/**
 * Token-budget batching: inputs are sorted by length and packed so that padded tokens
 * (batch size × longest input) stay within the budget. Sorting cuts padding; the budget bounds
 * memory (ONNX Runtime's CPU arena grows to the largest batch it has seen; Hedgy-Labs/setoku#107).
 * When everything pending fits one batch, lengths can still differ a lot (64 one-text tasks of 10
 * to 60 tokens padded 1.84×), so a batch is also cut where padding would pass `MAX_PADDING`.
 */

/** Padded ÷ real tokens a batch may reach before it is split, once it has `MIN_SPLIT` items. */
export const MAX_PADDING = 1.25
export const MIN_SPLIT = 8

/** Groups item indexes into batches; each batch's `count × maxLength` ≤ `maxTokens` (a single longer item runs alone). */
export function planBatches(lengths: readonly number[], maxTokens: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b)
  const batches: number[][] = []
  let current: number[] = []
  let real = 0
  for (const index of order) {
    const longest = lengths[index]! // ascending order: the newest item is the longest
    const padded = (current.length + 1) * longest
    const overBudget = padded > maxTokens
    const tooPadded = current.length >= MIN_SPLIT && padded > MAX_PADDING * (real + longest)
    if (current.length > 0 && (overBudget || tooPadded)) {
      batches.push(current)
      current = []
      real = 0
    }
    current.push(index)
    real += longest
  }
  if (current.length > 0) batches.push(current)
  return batches
}

/** Padded tokens the plan costs; divided by the real tokens it is the padding waste. */
export function paddedTokens(lengths: readonly number[], batches: readonly number[][]): number {
  return batches.reduce(
    (sum, batch) => sum + batch.length * Math.max(...batch.map((i) => lengths[i]!)),
    0,
  )
}
