/**
 * Where a graph's parameters come from. The layer builders (`layers.ts`) name every tensor as the
 * Hugging Face checkpoint does; the test-model generator answers with seeded random numbers, and
 * `models import` with the checkpoint's own tensors.
 */
import type { GraphBuilder } from './builder.ts'

export interface Params {
  readonly graph: GraphBuilder
  /**
   * A Linear layer's weight as ONNX MatMul wants it, [in, out] (PyTorch stores [out, in]).
   * `std` is what a generated model draws it with.
   */
  linearWeight(
    name: string,
    dims: { readonly in: number; readonly out: number; readonly std: number },
  ): string
  /** A bias or LayerNorm vector; `fill` is what a generated model holds. */
  vector(name: string, size: number, fill: number): string
}
