/**
 * Weight initialisation for the synthetic models. Every tensor draws from its own stream, seeded
 * by `<model seed>/<tensor name>`, so adding or reordering tensors never changes the others.
 */
import type { GraphBuilder } from '../onnx/builder.ts'
import type { Params } from '../onnx/params.ts'
import { Prng } from './prng.ts'

/**
 * Hand-designs part of a tensor after random initialisation (CLIP's shared colour subspace).
 * It edits `data` (row-major, `dims` as given) in place.
 */
export type WeightPatch = (name: string, data: Float32Array, dims: readonly number[]) => void

function sizeOf(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1)
}

export class Weights implements Params {
  readonly graph: GraphBuilder
  readonly #seed: string
  readonly #patch: WeightPatch | undefined

  constructor(graph: GraphBuilder, seed: string, patch?: WeightPatch) {
    this.graph = graph
    this.#seed = seed
    this.#patch = patch
  }

  /** N(0, std²) from this tensor's own stream. */
  normal(name: string, dims: readonly number[], std: number): string {
    const data = new Prng(`${this.#seed}/${name}`).normals(sizeOf(dims), std)
    return this.#add(name, dims, data)
  }

  linearWeight(name: string, dims: { in: number; out: number; std: number }): string {
    return this.normal(name, [dims.in, dims.out], dims.std)
  }

  vector(name: string, size: number, fill: number): string {
    return this.fill(name, [size], fill)
  }

  fill(name: string, dims: readonly number[], value: number): string {
    return this.#add(name, dims, new Float32Array(sizeOf(dims)).fill(value))
  }

  /** A tensor whose values the caller computed. */
  data(name: string, dims: readonly number[], data: Float32Array): string {
    return this.#add(name, dims, data)
  }

  #add(name: string, dims: readonly number[], data: Float32Array): string {
    this.#patch?.(name, data, dims)
    return this.graph.floatTensor(name, dims, data)
  }
}
