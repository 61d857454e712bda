/**
 * Token-budget batching: inputs are sorted by length and cut into the batches that cost least,
 * each within the budget of padded tokens (batch size × longest input). Sorting cuts padding; the
 * budget bounds memory (ONNX Runtime's CPU arena grows to the largest batch it has seen;
 * Hedgy-Labs/setoku#107).
 *
 * A batch costs its padded tokens plus a fixed overhead per run (`RUN_COST_TOKENS`), and the cut
 * minimising the total is found exactly (dynamic programming over the sorted lengths). Measured on
 * all-MiniLM-L6-v2 with one ONNX Runtime thread (issue 11), per padded token: 1 text per run
 * 290–307 µs, 4 texts 238, 8–16 texts 223–230, 64 texts 233–250, 256 texts 281 — so padding is
 * what costs (64 one-text tasks of 10 to 60 tokens padded 1.68× in one batch), big batches gain
 * nothing on a CPU, and only single-text runs pay a visible overhead (~2 ms ≈ 9 tokens).
 */

/**
 * What one more run costs, in padded tokens: ONNX Runtime's own overhead per run (~9 tokens of
 * all-MiniLM-L6-v2, measured) plus the thread's per-batch work (tensors, pooling, a reply).
 */
export const RUN_COST_TOKENS = 16

/** Groups item indexes into batches; each batch's `count × maxLength` ≤ `maxTokens` (a single longer item runs alone). */
export function planBatches(lengths: readonly number[], maxTokens: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b)
  const n = order.length
  // best[i]: least cost of the first i sorted items; cut[i]: where the last batch of that plan starts
  const best = new Float64Array(n + 1)
  const cut = new Int32Array(n + 1)
  for (let i = 1; i <= n; i++) {
    const longest = lengths[order[i - 1]!]! // ascending order: the last item is the longest
    best[i] = Infinity
    for (let j = i - 1; j >= 0; j--) {
      const count = i - j
      if (count > 1 && count * longest > maxTokens) break
      const cost = best[j]! + count * longest + RUN_COST_TOKENS
      if (cost <= best[i]!) {
        best[i] = cost
        cut[i] = j
      }
    }
  }
  const batches: number[][] = []
  for (let i = n; i > 0; i = cut[i]!) batches.push(order.slice(cut[i], i))
  return batches.reverse()
}

/** Padded tokens the plan costs; divided by the real tokens it is the padding waste. */
export function paddedTokens(lengths: readonly number[], batches: readonly number[][]): number {
  return batches.reduce(
    (sum, batch) => sum + batch.length * Math.max(...batch.map((i) => lengths[i]!)),
    0,
  )
}
