/**
 * MPNet (MPNetModel), the encoder of all-mpnet-base-v2: BERT-like post-LayerNorm layers, but
 * positions count from padding_idx + 1 (RoBERTa style, no token types) and every layer's attention
 * scores get a learned bias per relative distance, bucketed T5-style (HF modeling_mpnet.py,
 * `relative_position_bucket`). Inputs: input_ids, attention_mask.
 */
import { ElemType, attr } from '../onnx/builder.ts'
import {
  additivePaddingMask,
  layerNorm,
  postNormLayer,
  type PostNormLayerNames,
} from '../onnx/layers.ts'
import { DYNAMIC, encoderShape, positions } from './bert.ts'
import type { CheckpointParams } from './checkpoint.ts'
import type { EncoderConfig } from './config.ts'
import { VectorizeError } from '../../worker/errors.ts'

/** MPNet hardcodes max_distance = 128; checked against torch for 32 buckets (test/models/import). */
const MAX_DISTANCE = 128
export const SUPPORTED_BUCKETS = 32

/**
 * HF's bucket of a relative position (key − query), computed the way torch does in float32:
 * n/max_exact, log, divided by log(max_distance/max_exact) as a float32 scalar, truncated.
 */
export function relativeBucket(relative: number, buckets = SUPPORTED_BUCKETS): number {
  const f = Math.fround
  const half = buckets / 2
  const maxExact = half / 2
  let n = -relative
  const base = n < 0 ? half : 0
  n = Math.abs(n)
  if (n < maxExact) return base + n
  const ratio = f(f(Math.log(f(n / maxExact))) / f(Math.log(MAX_DISTANCE / maxExact)))
  const large = maxExact + Math.trunc(f(ratio * (half - maxExact)))
  return base + Math.min(large, half - 1)
}

function layerNames(i: number): PostNormLayerNames {
  const p = `encoder.layer.${i}`
  return {
    attention: {
      q: `${p}.attention.attn.q`,
      k: `${p}.attention.attn.k`,
      v: `${p}.attention.attn.v`,
      out: `${p}.attention.attn.o`,
    },
    attentionNorm: `${p}.attention.LayerNorm`,
    up: `${p}.intermediate.dense`,
    down: `${p}.output.dense`,
    outputNorm: `${p}.output.LayerNorm`,
  }
}

/** Positions of real tokens count from pad + 1; padding keeps pad (create_position_ids_from_input_ids). */
function mpnetPositions(w: CheckpointParams, ids: string, pad: number): string {
  const g = w.graph
  const notPad = g.node('Cast', [g.node('Not', [g.node('Equal', [ids, g.ints([pad], true)])])], {
    to: attr.int(ElemType.int64),
  })
  const counted = g.node('Mul', [g.node('CumSum', [notPad, g.ints([1], true)]), notPad])
  return g.node('Add', [counted, g.ints([pad], true)])
}

/**
 * The position bias of every (query, key) pair, [1, heads, s, s]: one table row per distance
 * (−(P−1) … P−1, the bucket lookup folded in at import), gathered by key − query + P − 1.
 */
function positionBias(w: CheckpointParams, c: EncoderConfig, ids: string): string {
  const g = w.graph
  const P = c.maxPositions
  const table = w.read('encoder.relative_attention_bias.weight', [c.relativeBuckets, c.heads])
  const byDistance = new Float32Array((2 * P - 1) * c.heads)
  for (let d = -(P - 1); d < P; d++) {
    const bucket = relativeBucket(d, c.relativeBuckets)
    byDistance.set(table.subarray(bucket * c.heads, (bucket + 1) * c.heads), (d + P - 1) * c.heads)
  }
  const bias = g.floatTensor('relative_position_bias_by_distance', [2 * P - 1, c.heads], byDistance)
  const range = positions(w, ids)
  const keyMinusQuery = g.node('Sub', [
    g.node('Unsqueeze', [range, g.ints([0])]),
    g.node('Unsqueeze', [range, g.ints([1])]),
  ])
  const index = g.node('Add', [keyMinusQuery, g.ints([P - 1], true)])
  const perPair = g.node('Gather', [bias, index])
  const perHead = g.node('Transpose', [perPair], { perm: attr.ints([2, 0, 1]) })
  return g.node('Unsqueeze', [perHead, g.ints([0])])
}

export function buildMpnet(w: CheckpointParams, c: EncoderConfig): void {
  if (c.relativeBuckets !== SUPPORTED_BUCKETS)
    throw new VectorizeError(
      'invalid_argument',
      `relative_attention_num_buckets ${c.relativeBuckets} is not supported (only ${SUPPORTED_BUCKETS})`,
    )
  const g = w.graph
  const ids = g.input('input_ids', ElemType.int64, DYNAMIC)
  const mask = g.input('attention_mask', ElemType.int64, DYNAMIC)
  const words = w.tensor('embeddings.word_embeddings.weight', [c.vocabSize, c.hidden])
  const posTable = w.tensor('embeddings.position_embeddings.weight', [c.maxPositions, c.hidden])
  const sum = g.node('Add', [
    g.node('Gather', [words, ids]),
    g.node('Gather', [posTable, mpnetPositions(w, ids, c.padTokenId)]),
  ])
  let x = layerNorm(w, 'embeddings.LayerNorm', sum, c.hidden, c.layerNormEps)
  // Scores get the position bias, then the padding mask (MPNetSelfAttention adds them in turn).
  const additive = g.node('Add', [positionBias(w, c, ids), additivePaddingMask(g, mask)])
  const shape = encoderShape(c)
  for (let i = 0; i < c.layers; i++) x = postNormLayer(w, layerNames(i), x, shape, additive)
  g.node('Identity', [x], {}, 'last_hidden_state')
  g.output('last_hidden_state', ElemType.float, [...DYNAMIC, c.hidden])
}
