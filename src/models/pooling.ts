/** Pooling of a `[batch, seq, hidden]` output into one vector per input, masked by attention. */
import type { Pooling } from './embedder.ts'

export interface HiddenStates {
  readonly data: Float32Array
  readonly batch: number
  readonly seq: number
  readonly hidden: number
}

/** `lengths[b]` is the number of real (unpadded) tokens of input `b`; padding sits at the end. */
export function pool(
  states: HiddenStates,
  lengths: readonly number[],
  mode: Pooling,
  normalize: boolean,
): Float32Array[] {
  const out: Float32Array[] = []
  for (let b = 0; b < states.batch; b++) {
    const vector = mode === 'cls' ? row(states, b, 0).slice() : meanRows(states, b, lengths[b]!)
    out.push(normalize ? l2normalize(vector) : vector)
  }
  return out
}

function row(s: HiddenStates, b: number, t: number): Float32Array {
  const start = (b * s.seq + t) * s.hidden
  return s.data.subarray(start, start + s.hidden)
}

function meanRows(s: HiddenStates, b: number, length: number): Float32Array {
  const sum = new Float64Array(s.hidden)
  for (let t = 0; t < length; t++) {
    const r = row(s, b, t)
    for (let h = 0; h < s.hidden; h++) sum[h]! += r[h]!
  }
  const mean = new Float32Array(s.hidden)
  const n = Math.max(length, 1e-9)
  for (let h = 0; h < s.hidden; h++) mean[h] = sum[h]! / n
  return mean
}

export function l2normalize(v: Float32Array): Float32Array {
  let norm = 0
  for (const x of v) norm += x * x
  norm = Math.sqrt(norm)
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm
  return v
}
