/**
 * The one thing the synthetic CLIP knows: colours. Dimensions 0–2 of both towers' hidden states
 * and of the shared embedding space form a colour subspace holding normalised RGB, the value
 * `CLIPImageProcessor` gives a pixel of that colour. The vision tower pools patch colours into it;
 * the text tower's colour-word embeddings hold the same vectors, and attention carries them to
 * the end-of-text token that CLIP pools. So "a red square" lands nearest a red image.
 */
import type { WeightPatch } from './weights.ts'

/** CLIP's normalisation constants (openai/clip-vit-base-patch32's preprocessor_config.json). */
export const CLIP_IMAGE_MEAN = [0.48145466, 0.4578275, 0.40821073] as const
export const CLIP_IMAGE_STD = [0.26862954, 0.26130258, 0.27577711] as const

/** Colour words and their RGB in [0, 1]. "green" is pure green (#00ff00), as test images use. */
export const COLOR_WORDS = {
  red: [1, 0, 0],
  green: [0, 1, 0],
  blue: [0, 0, 1],
  yellow: [1, 1, 0],
  cyan: [0, 1, 1],
  magenta: [1, 0, 1],
  white: [1, 1, 1],
  black: [0, 0, 0],
  orange: [1, 0.5, 0],
  purple: [0.5, 0, 0.5],
  pink: [1, 0.75, 0.8],
  brown: [0.6, 0.3, 0.1],
  gray: [0.5, 0.5, 0.5],
  grey: [0.5, 0.5, 0.5],
} as const satisfies Record<string, readonly [number, number, number]>

export const COLOR_DIMS = 3

/** RGB in [0, 1] → the normalised pixel value the image processor produces. */
export function normalizedColor(rgb: readonly number[]): number[] {
  return [0, 1, 2].map(
    (c) => ((rgb[c] ?? 0) - (CLIP_IMAGE_MEAN[c] ?? 0)) / (CLIP_IMAGE_STD[c] ?? 1),
  )
}

/**
 * In a [rows, cols] matrix: gain·identity on the colour block, zeros between colour and
 * non-colour dimensions, so colour passes through unchanged and nothing else leaks into it.
 */
function isolateColorBlock(data: Float32Array, cols: number, gain: number): void {
  const rows = data.length / cols
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (i < COLOR_DIMS && j < COLOR_DIMS) data[i * cols + j] = i === j ? gain : 0
      else if (i < COLOR_DIMS || j < COLOR_DIMS) data[i * cols + j] = 0
    }
  }
}

/** Zeroes the colour columns of a [rows, cols] matrix (or a vector with cols = its length). */
function clearColorColumns(data: Float32Array, cols: number): void {
  for (let k = 0; k < data.length; k++) if (k % cols < COLOR_DIMS) data[k] = 0
}

/**
 * Hand-designs the colour path in both towers after random initialisation: value and output
 * projections and the final projections pass colour through, position/class embeddings and the
 * MLP's output stay out of the colour subspace.
 */
export const colorPathPatch: WeightPatch = (name, data, dims) => {
  const cols = dims[dims.length - 1] ?? 1
  if (/v_proj\.weight$|out_proj\.weight$/.test(name)) isolateColorBlock(data, cols, 1)
  else if (/(text|visual)_projection\.weight$/.test(name)) isolateColorBlock(data, cols, 1)
  else if (/position_embedding\.weight$|class_embedding$|fc2\.weight$/.test(name))
    clearColorColumns(data, cols)
}
