/**
 * The CLIP text tower as `CLIPTextModelWithProjection` exports it: token + position embeddings,
 * pre-LayerNorm encoder layers under a causal and padding mask, final LayerNorm, the hidden state
 * of the end-of-text token (the highest id, found with ArgMax as HF does), then a projection.
 */
import { COLOR_DIMS, COLOR_WORDS, normalizedColor } from './clip-colors.ts'
import {
  MASK_VALUE,
  additivePaddingMask,
  clipLayer,
  layerNorm,
  type EncoderShape,
} from '../onnx/layers.ts'
import { ElemType, attr, type GraphBuilder } from '../onnx/builder.ts'
import { Prng } from './prng.ts'
import type { Weights } from './weights.ts'

export interface ClipTowerSpec {
  readonly hidden: number
  readonly heads: number
  readonly intermediate: number
  readonly layers: number
}

export const CLIP_LAYER_NORM_EPS = 1e-5
export const CLIP_PROJECTION_STD = 0.05
const TOKEN_STD = 0.1
const POSITION_STD = 0.01
/** Colour words' colour part against their random part (norm ≈ 3 × 0.5 against ≈ 0.5). */
const COLOR_WORD_SCALE = 0.5

export function clipShape(tower: ClipTowerSpec): EncoderShape {
  return {
    hidden: tower.hidden,
    heads: tower.heads,
    intermediate: tower.intermediate,
    layerNormEps: CLIP_LAYER_NORM_EPS,
    std: CLIP_PROJECTION_STD,
  }
}

/** Random token embeddings outside the colour subspace; colour words get their colour in it. */
function tokenEmbeddings(seed: string, vocab: readonly string[], hidden: number): Float32Array {
  const table = new Prng(`${seed}/text_model.embeddings.token_embedding.weight`).normals(
    vocab.length * hidden,
    TOKEN_STD,
  )
  const colorIds = new Map<number, readonly number[]>()
  for (const [word, rgb] of Object.entries(COLOR_WORDS)) {
    const id = vocab.indexOf(`${word}</w>`)
    if (id < 0) throw new Error(`colour word ${word} is not a single BPE token`)
    colorIds.set(id, normalizedColor(rgb))
  }
  for (let id = 0; id < vocab.length; id++) {
    const color = colorIds.get(id)
    for (let c = 0; c < COLOR_DIMS; c++) {
      table[id * hidden + c] = (color?.[c] ?? 0) * COLOR_WORD_SCALE
    }
  }
  return table
}

/** [1, 1, s, s]: MASK_VALUE above the diagonal (a token never sees later ones). */
function causalMask(g: GraphBuilder, positions: string): string {
  const rows = g.node('Unsqueeze', [positions, g.ints([1])])
  const cols = g.node('Unsqueeze', [positions, g.ints([0])])
  const future = g.node('Cast', [g.node('Greater', [cols, rows])], { to: attr.int(ElemType.float) })
  return g.node('Unsqueeze', [g.node('Mul', [future, g.scalar(MASK_VALUE)]), g.ints([0, 1])])
}

/** The pooled output: each row's hidden state at its first end-of-text token. */
function poolEndOfText(g: GraphBuilder, hidden: string, ids: string): string {
  // ORT's CPU ArgMax has no int64 kernel; ids are far below 2^31.
  const ids32 = g.node('Cast', [ids], { to: attr.int(ElemType.int32) })
  const eot = g.node('ArgMax', [ids32], { axis: attr.int(-1), keepdims: attr.int(0) })
  const index = g.node('Unsqueeze', [eot, g.ints([1])])
  return g.node('GatherND', [hidden, index], { batch_dims: attr.int(1) })
}

type TextTowerSpec = ClipTowerSpec & {
  readonly maxPositions: number
  readonly projectionDim: number
}

/** Token + position embeddings [b, s, hidden], and the position ids [s] (for the causal mask). */
function embeddings(
  w: Weights,
  seed: string,
  vocab: readonly string[],
  tower: TextTowerSpec,
  ids: string,
): { readonly x: string; readonly positions: string } {
  const g = w.graph
  const h = tower.hidden
  const tokenTable = tokenEmbeddings(seed, vocab, h)
  const tokens = w.data(
    'text_model.embeddings.token_embedding.weight',
    [vocab.length, h],
    tokenTable,
  )
  const posName = 'text_model.embeddings.position_embedding.weight'
  const posTable = w.normal(posName, [tower.maxPositions, h], POSITION_STD)
  const shape = g.node('Shape', [ids])
  const seqLen = g.node('Gather', [shape, g.ints([1], true)], { axis: attr.int(0) })
  const positions = g.node('Range', [g.ints([0], true), seqLen, g.ints([1], true)])
  const x = g.node('Add', [
    g.node('Gather', [tokens, ids]),
    g.node('Gather', [posTable, positions]),
  ])
  return { x, positions }
}

/** Builds the text tower into `w.graph`; outputs `text_embeds` and `last_hidden_state`. */
export function buildClipTextGraph(
  w: Weights,
  seed: string,
  vocab: readonly string[],
  tower: TextTowerSpec,
): void {
  const g = w.graph
  const h = tower.hidden
  const dynamic = ['batch_size', 'sequence_length']
  const ids = g.input('input_ids', ElemType.int64, dynamic)
  const mask = g.input('attention_mask', ElemType.int64, dynamic)
  const embedded = embeddings(w, seed, vocab, tower, ids)
  const additive = g.node('Add', [causalMask(g, embedded.positions), additivePaddingMask(g, mask)])
  let x = embedded.x
  for (let i = 0; i < tower.layers; i++) {
    x = clipLayer(w, `text_model.encoder.layers.${i}`, x, clipShape(tower), additive)
  }
  const last = layerNorm(w, 'text_model.final_layer_norm', x, h, CLIP_LAYER_NORM_EPS)
  const projection = w.normal(
    'text_projection.weight',
    [h, tower.projectionDim],
    CLIP_PROJECTION_STD,
  )
  g.node('MatMul', [poolEndOfText(g, last, ids), projection], {}, 'text_embeds')
  g.node('Identity', [last], {}, 'last_hidden_state')
  g.output('text_embeds', ElemType.float, ['batch_size', tower.projectionDim])
  g.output('last_hidden_state', ElemType.float, [...dynamic, h])
}
