/**
 * The CLIP vision tower as `CLIPVisionModelWithProjection` exports it: a strided patch
 * convolution, class token + position embeddings, pre-LayerNorm, encoder layers, post-LayerNorm
 * on the class token, then a projection. Output channels 0–2 of the convolution average each RGB
 * channel over the patch, which is how image colour enters the shared colour subspace.
 */
import { COLOR_DIMS } from './clip-colors.ts'
import {
  CLIP_LAYER_NORM_EPS,
  CLIP_PROJECTION_STD,
  clipShape,
  type ClipTowerSpec,
} from './clip-text.ts'
import { clipLayer, layerNorm } from '../onnx/layers.ts'
import { ElemType, attr } from '../onnx/builder.ts'
import { Prng } from './prng.ts'
import type { Weights } from './weights.ts'

export interface ClipVisionSpec extends ClipTowerSpec {
  readonly imageSize: number
  readonly patchSize: number
  readonly projectionDim: number
}

const PATCH_STD = 0.02
const CLASS_STD = 0.1
const POSITION_STD = 0.01

/** [hidden, 3, p, p]: colour channels average their own input channel, the rest are random. */
function patchKernel(seed: string, hidden: number, patch: number): Float32Array {
  const area = patch * patch
  const kernel = new Prng(`${seed}/vision_model.embeddings.patch_embedding.weight`).normals(
    hidden * 3 * area,
    PATCH_STD,
  )
  for (let out = 0; out < COLOR_DIMS; out++) {
    for (let input = 0; input < 3; input++) {
      kernel.fill(
        out === input ? 1 / area : 0,
        (out * 3 + input) * area,
        (out * 3 + input + 1) * area,
      )
    }
  }
  return kernel
}

/** Patch embeddings with the class token in front: [b, 1 + patches, hidden]. */
function embeddings(w: Weights, seed: string, pixels: string, vision: ClipVisionSpec): string {
  const g = w.graph
  const h = vision.hidden
  const p = vision.patchSize
  const patches = (vision.imageSize / p) ** 2
  const kernel = w.data(
    'vision_model.embeddings.patch_embedding.weight',
    [h, 3, p, p],
    patchKernel(seed, h, p),
  )
  const conv = g.node('Conv', [pixels, kernel], {
    kernel_shape: attr.ints([p, p]),
    strides: attr.ints([p, p]),
  })
  const flat = g.node('Transpose', [g.node('Reshape', [conv, g.ints([0, h, -1])])], {
    perm: attr.ints([0, 2, 1]),
  })
  const classEmbedding = w.normal('vision_model.embeddings.class_embedding', [h], CLASS_STD)
  const batch = g.node('Slice', [g.node('Shape', [pixels]), g.ints([0]), g.ints([1])])
  const classShape = g.node('Concat', [batch, g.ints([1, h])], { axis: attr.int(0) })
  const classTokens = g.node('Expand', [
    g.node('Reshape', [classEmbedding, g.ints([1, 1, h])]),
    classShape,
  ])
  const tokens = g.node('Concat', [classTokens, flat], { axis: attr.int(1) })
  const positions = w.normal(
    'vision_model.embeddings.position_embedding.weight',
    [patches + 1, h],
    POSITION_STD,
  )
  return g.node('Add', [tokens, positions])
}

/**
 * Builds the vision tower into `w.graph`; its one output is `image_embeds`. No `last_hidden_state`
 * on purpose: the image-feature-extraction pipeline returns `last_hidden_state` when present, and
 * should return the embedding (as the transformers.js docs show for Xenova/clip-vit-base-patch32).
 */
export function buildClipVisionGraph(w: Weights, seed: string, vision: ClipVisionSpec): void {
  const g = w.graph
  const h = vision.hidden
  const size = vision.imageSize
  const pixels = g.input('pixel_values', ElemType.float, ['batch_size', 3, size, size])
  let x = layerNorm(
    w,
    'vision_model.pre_layrnorm',
    embeddings(w, seed, pixels, vision),
    h,
    CLIP_LAYER_NORM_EPS,
  )
  for (let i = 0; i < vision.layers; i++) {
    x = clipLayer(w, `vision_model.encoder.layers.${i}`, x, clipShape(vision))
  }
  const classToken = g.node('Gather', [x, g.ints([0], true)], { axis: attr.int(1) })
  const pooled = layerNorm(w, 'vision_model.post_layernorm', classToken, h, CLIP_LAYER_NORM_EPS)
  const projection = w.normal(
    'visual_projection.weight',
    [h, vision.projectionDim],
    CLIP_PROJECTION_STD,
  )
  g.node('MatMul', [pooled, projection], {}, 'image_embeds')
  g.output('image_embeds', ElemType.float, ['batch_size', vision.projectionDim])
}
