/**
 * The Params of an imported model: every tensor the layer builders ask for is read from the
 * checkpoint by its Hugging Face name (under the architecture's optional prefix, `bert.` for a
 * BertForMaskedLM save), checked against the shape the graph needs, and Linear weights are
 * transposed from PyTorch's [out, in] to MatMul's [in, out]. Tensors the graph never asked for are
 * listed afterwards, so a checkpoint the graph does not fully use cannot pass unnoticed.
 */
import type { GraphBuilder } from '../onnx/builder.ts'
import type { Params } from '../onnx/params.ts'
import { VectorizeError } from '../../worker/errors.ts'
import type { SafeTensors } from './safetensors.ts'

export class CheckpointParams implements Params {
  readonly graph: GraphBuilder
  readonly #tensors: SafeTensors
  readonly #prefixes: readonly string[]
  readonly #used = new Set<string>()

  constructor(graph: GraphBuilder, tensors: SafeTensors, prefixes: readonly string[]) {
    this.graph = graph
    this.#tensors = tensors
    this.#prefixes = ['', ...prefixes]
  }

  linearWeight(name: string, dims: { readonly in: number; readonly out: number }): string {
    const stored = this.read(name, [dims.out, dims.in])
    return this.graph.floatTensor(name, [dims.in, dims.out], transpose(stored, dims.out, dims.in))
  }

  vector(name: string, size: number): string {
    return this.tensor(name, [size])
  }

  /** A tensor added to the graph as stored (embedding tables, bias tables). */
  tensor(name: string, dims: readonly number[]): string {
    return this.graph.floatTensor(name, dims, this.read(name, dims))
  }

  /** A tensor's values, checked against `dims`. */
  read(name: string, dims: readonly number[]): Float32Array {
    const key = this.#prefixes.map((p) => p + name).find((k) => this.#tensors.info(k))
    if (!key) throw this.#error(`has no tensor ${name}`)
    const shape = this.#tensors.info(key)!.shape
    if (shape.join('×') !== dims.join('×'))
      throw this.#error(`stores ${key} as ${shape.join('×')}; the graph needs ${dims.join('×')}`)
    this.#used.add(key)
    return this.#tensors.float32(key)
  }

  /** Checkpoint tensors the graph did not use, less those `ignorable` says a graph never needs. */
  unused(ignorable: (name: string) => boolean): string[] {
    return this.#tensors.names().filter((n) => !this.#used.has(n) && !ignorable(n))
  }

  #error(what: string): VectorizeError {
    return new VectorizeError('invalid_argument', `${this.#tensors.file} ${what}`)
  }
}

/** [rows, cols] row-major → [cols, rows]. */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length)
  for (let r = 0; r < rows; r++) {
    const base = r * cols
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c]!
  }
  return out
}
