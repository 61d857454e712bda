/**
 * BERT (BertModel) as the graph Hugging Face's ONNX exports have: word + position + token-type
 * embeddings and LayerNorm, post-LayerNorm encoder layers (`layers.ts`), `last_hidden_state` out.
 * Inputs: input_ids, attention_mask, token_type_ids ([batch, sequence], int64).
 */
import { ElemType, attr } from '../onnx/builder.ts'
import { additivePaddingMask, bertLayer, layerNorm, type EncoderShape } from '../onnx/layers.ts'
import type { CheckpointParams } from './checkpoint.ts'
import type { EncoderConfig } from './config.ts'

export const DYNAMIC = ['batch_size', 'sequence_length'] as const

export function encoderShape(c: EncoderConfig): EncoderShape {
  return {
    hidden: c.hidden,
    heads: c.heads,
    intermediate: c.intermediate,
    layerNormEps: c.layerNormEps,
    std: 0,
  }
}

/** Range(0, sequence_length): absolute positions of a right-padded batch. */
export function positions(w: CheckpointParams, ids: string): string {
  const g = w.graph
  const seqLen = g.node('Gather', [g.node('Shape', [ids]), g.ints([1], true)], {
    axis: attr.int(0),
  })
  return g.node('Range', [g.ints([0], true), seqLen, g.ints([1], true)])
}

export function buildBert(w: CheckpointParams, c: EncoderConfig): void {
  const g = w.graph
  const ids = g.input('input_ids', ElemType.int64, DYNAMIC)
  const mask = g.input('attention_mask', ElemType.int64, DYNAMIC)
  const types = g.input('token_type_ids', ElemType.int64, DYNAMIC)
  const words = w.tensor('embeddings.word_embeddings.weight', [c.vocabSize, c.hidden])
  const posTable = w.tensor('embeddings.position_embeddings.weight', [c.maxPositions, c.hidden])
  const typeTable = w.tensor('embeddings.token_type_embeddings.weight', [c.typeVocabSize, c.hidden])
  const sum = g.node('Add', [
    g.node('Add', [g.node('Gather', [words, ids]), g.node('Gather', [typeTable, types])]),
    g.node('Gather', [posTable, positions(w, ids)]),
  ])
  let x = layerNorm(w, 'embeddings.LayerNorm', sum, c.hidden, c.layerNormEps)
  const additive = additivePaddingMask(g, mask)
  const shape = encoderShape(c)
  for (let i = 0; i < c.layers; i++) x = bertLayer(w, i, x, shape, additive)
  g.node('Identity', [x], {}, 'last_hidden_state')
  g.output('last_hidden_state', ElemType.float, [...DYNAMIC, c.hidden])
}

/** Checkpoint tensors an encoder graph never reads: the pooler, MLM heads, cached position ids. */
export function encoderIgnorable(name: string): boolean {
  return /(^|\.)(pooler|cls|lm_head)\./.test(name) || name.endsWith('position_ids')
}
