/**
 * Transformer building blocks as ONNX subgraphs, shared by the BERT and CLIP generators. Tensor
 * names follow the Hugging Face checkpoints (`encoder.layer.0.attention.self.query.weight`) so a
 * graph dump reads like the real model.
 */
import { ElemType, attr, type GraphBuilder } from './builder.ts'
import type { Params } from './params.ts'

export interface EncoderShape {
  readonly hidden: number
  readonly heads: number
  readonly intermediate: number
  readonly layerNormEps: number
  /** Standard deviation of the projection weights (HF's `initializer_range`). */
  readonly std: number
}

/**
 * Added to the attention scores a query must ignore (padding, future tokens): exp(-1e4) is exactly
 * 0 in float32, so a blocked key contributes nothing at all, not merely very little.
 */
export const MASK_VALUE = -10000

/** attention_mask [b, s] (1 = token, 0 = padding) → additive mask [b, 1, 1, s]. */
export function additivePaddingMask(g: GraphBuilder, mask: string): string {
  const keep = g.node('Cast', [mask], { to: attr.int(ElemType.float) })
  const blocked = g.node('Mul', [g.node('Sub', [g.scalar(1), keep]), g.scalar(MASK_VALUE)])
  return g.node('Unsqueeze', [blocked, g.ints([1, 2])])
}

/** `x · W + b` with W stored [in, out], the orientation ONNX MatMul wants. */
export function linear(
  w: Params,
  name: string,
  x: string,
  dims: { readonly in: number; readonly out: number; readonly std: number },
  bias = true,
): string {
  const g = w.graph
  const y = g.node('MatMul', [x, w.linearWeight(`${name}.weight`, dims)])
  return bias ? g.node('Add', [y, w.vector(`${name}.bias`, dims.out, 0)]) : y
}

export function layerNorm(w: Params, name: string, x: string, dim: number, eps: number): string {
  const scale = w.vector(`${name}.weight`, dim, 1)
  const bias = w.vector(`${name}.bias`, dim, 0)
  return w.graph.node('LayerNormalization', [x, scale, bias], {
    axis: attr.int(-1),
    epsilon: attr.float(eps),
  })
}

/**
 * Exact GELU, `x·0.5·(1 + erf(x/√2))`, in the node order PyTorch exports it (Div, Erf, Add, Mul,
 * Mul): ONNX Runtime's GeluFusion matches only that form and turns it (with the bias Add before
 * it) into one BiasGelu kernel. The standard Gelu op only arrives in opset 20.
 */
export function gelu(w: Params, x: string): string {
  const g = w.graph
  const erf = g.node('Erf', [g.node('Div', [x, g.scalar(Math.SQRT2)])])
  const y = g.node('Mul', [x, g.node('Add', [erf, g.scalar(1)])])
  return g.node('Mul', [y, g.scalar(0.5)])
}

/** CLIP's `x·sigmoid(1.702·x)`. */
export function quickGelu(w: Params, x: string): string {
  const g = w.graph
  return g.node('Mul', [x, g.node('Sigmoid', [g.node('Mul', [x, g.scalar(1.702)])])])
}

/** [b, s, hidden] → [b, heads, s, headDim], or [b, heads, headDim, s] when `keys`. */
function splitHeads(w: Params, x: string, shape: EncoderShape, keys: boolean): string {
  const g = w.graph
  const headDim = shape.hidden / shape.heads
  const split = g.node('Reshape', [x, g.ints([0, 0, shape.heads, headDim])])
  return g.node('Transpose', [split], { perm: attr.ints(keys ? [0, 2, 3, 1] : [0, 2, 1, 3]) })
}

export interface AttentionNames {
  readonly q: string
  readonly k: string
  readonly v: string
  readonly out: string
}

/**
 * Multi-head self-attention. `mask` is additive and broadcasts to [b, heads, s, s]: 0 where a
 * query may attend, a large negative number where it must not (padding, future tokens).
 */
export function selfAttention(
  w: Params,
  names: AttentionNames,
  x: string,
  shape: EncoderShape,
  mask: string | undefined,
): string {
  const g = w.graph
  const dims = { in: shape.hidden, out: shape.hidden, std: shape.std }
  const q = splitHeads(w, linear(w, names.q, x, dims), shape, false)
  const k = splitHeads(w, linear(w, names.k, x, dims), shape, true)
  const v = splitHeads(w, linear(w, names.v, x, dims), shape, false)
  const scaled = g.node('Mul', [
    g.node('MatMul', [q, k]),
    g.scalar(1 / Math.sqrt(shape.hidden / shape.heads)),
  ])
  const scores = mask === undefined ? scaled : g.node('Add', [scaled, mask])
  const probs = g.node('Softmax', [scores], { axis: attr.int(-1) })
  const context = g.node('Transpose', [g.node('MatMul', [probs, v])], {
    perm: attr.ints([0, 2, 1, 3]),
  })
  const merged = g.node('Reshape', [context, g.ints([0, 0, shape.hidden])])
  return linear(w, names.out, merged, dims)
}

/** The feed-forward block: Linear → activation → Linear. */
export function feedForward(
  w: Params,
  names: { readonly up: string; readonly down: string },
  x: string,
  shape: EncoderShape,
  activation: (w: Params, x: string) => string,
): string {
  const up = linear(w, names.up, x, { in: shape.hidden, out: shape.intermediate, std: shape.std })
  const down = { in: shape.intermediate, out: shape.hidden, std: shape.std }
  return linear(w, names.down, activation(w, up), down)
}

/** The checkpoint names of one post-LayerNorm encoder layer's parts. */
export interface PostNormLayerNames {
  readonly attention: AttentionNames
  readonly attentionNorm: string
  readonly up: string
  readonly down: string
  readonly outputNorm: string
}

export function bertLayerNames(index: number): PostNormLayerNames {
  const p = `encoder.layer.${index}`
  return {
    attention: {
      q: `${p}.attention.self.query`,
      k: `${p}.attention.self.key`,
      v: `${p}.attention.self.value`,
      out: `${p}.attention.output.dense`,
    },
    attentionNorm: `${p}.attention.output.LayerNorm`,
    up: `${p}.intermediate.dense`,
    down: `${p}.output.dense`,
    outputNorm: `${p}.output.LayerNorm`,
  }
}

/** One post-LayerNorm layer (BERT, MPNet): attention + residual + LN, FFN + residual + LN. */
export function postNormLayer(
  w: Params,
  names: PostNormLayerNames,
  x: string,
  shape: EncoderShape,
  mask: string,
): string {
  const g = w.graph
  const attention = selfAttention(w, names.attention, x, shape, mask)
  const eps = shape.layerNormEps
  const h = layerNorm(w, names.attentionNorm, g.node('Add', [attention, x]), shape.hidden, eps)
  const ffn = feedForward(w, names, h, shape, gelu)
  return layerNorm(w, names.outputNorm, g.node('Add', [ffn, h]), shape.hidden, eps)
}

/** One BERT layer. */
export function bertLayer(
  w: Params,
  index: number,
  x: string,
  shape: EncoderShape,
  mask: string,
): string {
  return postNormLayer(w, bertLayerNames(index), x, shape, mask)
}

/** One CLIP encoder layer (pre-LayerNorm): x + attn(LN(x)), then x + mlp(LN(x)). */
export function clipLayer(
  w: Params,
  prefix: string,
  x: string,
  shape: EncoderShape,
  mask?: string,
): string {
  const g = w.graph
  const eps = shape.layerNormEps
  const names = {
    q: `${prefix}.self_attn.q_proj`,
    k: `${prefix}.self_attn.k_proj`,
    v: `${prefix}.self_attn.v_proj`,
    out: `${prefix}.self_attn.out_proj`,
  }
  const normed = layerNorm(w, `${prefix}.layer_norm1`, x, shape.hidden, eps)
  const h = g.node('Add', [x, selfAttention(w, names, normed, shape, mask)])
  const normed2 = layerNorm(w, `${prefix}.layer_norm2`, h, shape.hidden, eps)
  const mlp = feedForward(
    w,
    { up: `${prefix}.mlp.fc1`, down: `${prefix}.mlp.fc2` },
    normed2,
    shape,
    quickGelu,
  )
  return g.node('Add', [h, mlp])
}
