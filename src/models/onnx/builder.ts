/**
 * A small graph builder on top of onnx-proto: named initializers, auto-named nodes and a
 * ModelProto encoder, shared by the test-model generator (`models/synthetic`) and `models import`.
 * Output is deterministic: node and tensor names come from counters, never from time or
 * randomness, and protobuf encoding of equal messages gives equal bytes.
 */
import onnxProto from 'onnx-proto'
import type { onnx } from 'onnx-proto'

// onnx-proto is CommonJS: its namespace is reachable only through the default export in ESM.
const { ModelProto } = onnxProto.onnx

/** ONNX TensorProto.DataType codes used here (the package's enums are not erasable syntax). */
export const ElemType = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9 } as const
export type ElemType = (typeof ElemType)[keyof typeof ElemType]

const AttrType = { float: 1, int: 2, tensor: 4, floats: 6, ints: 7 } as const

export const OPSET_VERSION = 17
export const IR_VERSION = 8

/** An attribute value, built with the helpers below so its ONNX type is explicit. */
export type Attr = Omit<onnx.IAttributeProto, 'name'>

export const attr = {
  int: (i: number): Attr => ({ type: AttrType.int, i }),
  float: (f: number): Attr => ({ type: AttrType.float, f }),
  ints: (ints: readonly number[]): Attr => ({ type: AttrType.ints, ints: [...ints] }),
}

/** A dimension: a fixed size or a named dynamic one (`batch_size`, `sequence_length`). */
export type Dim = number | string

function valueInfo(name: string, elemType: ElemType, dims: readonly Dim[]): onnx.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }))
  return { name, type: { tensorType: { elemType, shape: { dim } } } }
}

const littleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1

/** Little-endian bytes whatever the host, so files are identical on every machine. */
function float32Bytes(data: Float32Array): Uint8Array {
  if (littleEndian) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  const bytes = new Uint8Array(data.length * 4)
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i] ?? 0, true)
  return bytes
}

function int64Bytes(data: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(data.length * 8)
  const view = new DataView(bytes.buffer)
  data.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true))
  return bytes
}

export interface ModelMeta {
  /** Defaults to `vectorize-synthetic`, the test-model generator. */
  readonly producerName?: string
  readonly producerVersion: string
  readonly docString: string
}

export type NodeProto = onnx.INodeProto

export class GraphBuilder {
  readonly #name: string
  readonly #nodes: onnx.INodeProto[] = []
  readonly #initializers: onnx.ITensorProto[] = []
  readonly #inputs: onnx.IValueInfoProto[] = []
  readonly #outputs: onnx.IValueInfoProto[] = []
  readonly #constants = new Map<string, string>()
  #counter = 0

  constructor(name: string) {
    this.#name = name
  }

  input(name: string, elemType: ElemType, dims: readonly Dim[]): string {
    this.#inputs.push(valueInfo(name, elemType, dims))
    return name
  }

  /** Declares `name` (already produced by a node) as a graph output. */
  output(name: string, elemType: ElemType, dims: readonly Dim[]): void {
    this.#outputs.push(valueInfo(name, elemType, dims))
  }

  floatTensor(name: string, dims: readonly number[], data: Float32Array): string {
    const size = dims.reduce((a, b) => a * b, 1)
    if (size !== data.length)
      throw new Error(`${name}: ${data.length} values for dims ${dims.join('×')}`)
    this.#initializers.push({
      name,
      dims: [...dims],
      dataType: ElemType.float,
      rawData: float32Bytes(data),
    })
    return name
  }

  /** An 8-bit initializer (quantized weights and zero points). */
  int8Tensor(name: string, dims: readonly number[], data: Int8Array | Uint8Array): string {
    const dataType = data instanceof Int8Array ? ElemType.int8 : ElemType.uint8
    const rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    this.#initializers.push({ name, dims: [...dims], dataType, rawData })
    return name
  }

  int64Tensor(name: string, dims: readonly number[], data: readonly number[]): string {
    this.#initializers.push({
      name,
      dims: [...dims],
      dataType: ElemType.int64,
      rawData: int64Bytes(data),
    })
    return name
  }

  /** A shared float scalar constant (one initializer per distinct value). */
  scalar(value: number): string {
    return this.#constant(`f:${value}`, (name) =>
      this.floatTensor(name, [], Float32Array.of(value)),
    )
  }

  /** A shared int64 constant: a 1-D tensor, or a scalar when `asScalar` (e.g. Gather indices). */
  ints(values: readonly number[], asScalar = false): string {
    const key = `i:${asScalar ? 's' : 'v'}:${values.join(',')}`
    const dims = asScalar ? [] : [values.length]
    return this.#constant(key, (name) => this.int64Tensor(name, dims, values))
  }

  #constant(key: string, create: (name: string) => string): string {
    const existing = this.#constants.get(key)
    if (existing !== undefined) return existing
    const name = create(`const_${this.#constants.size}`)
    this.#constants.set(key, name)
    return name
  }

  /** Adds one node; returns its (single) output name, `output` or an auto-generated one. */
  node(
    op: string,
    inputs: readonly string[],
    attrs: Record<string, Attr> = {},
    output?: string,
  ): string {
    const id = this.#counter++
    const out = output ?? `${op.toLowerCase()}_${id}`
    const attribute = Object.entries(attrs).map(([name, a]) => ({ ...a, name }))
    this.#nodes.push({
      name: `${op}_${id}`,
      opType: op,
      input: [...inputs],
      output: [out],
      attribute,
    })
    return out
  }

  /** The nodes so far, in order, for rewrites before encoding (quantization). */
  get nodes(): readonly onnx.INodeProto[] {
    return this.#nodes
  }

  /** Replaces the nodes (a rewrite's result); initializers are only ever added. */
  replaceNodes(nodes: readonly onnx.INodeProto[]): void {
    this.#nodes.splice(0, this.#nodes.length, ...nodes)
  }

  /** The float initializer called `name`, decoded (quantization reads weights back). */
  floatInitializer(name: string): { dims: number[]; data: Float32Array } | undefined {
    const t = this.#initializers.find((i) => i.name === name)
    if (!t || t.dataType !== ElemType.float || !t.rawData) return undefined
    const raw = t.rawData
    const data = new Float32Array(raw.length / 4)
    new Uint8Array(data.buffer).set(raw)
    return { dims: (t.dims ?? []).map(Number), data }
  }

  /** Drops initializers no node reads any more (weights replaced by their quantized form). */
  pruneInitializers(): void {
    const used = new Set(this.#nodes.flatMap((n) => n.input ?? []))
    const kept = this.#initializers.filter((i) => used.has(i.name ?? ''))
    this.#initializers.splice(0, this.#initializers.length, ...kept)
  }

  /** Encodes an opset-17, IR-8 ModelProto. */
  toBytes(meta: ModelMeta): Uint8Array {
    const graph: onnx.IGraphProto = {
      name: this.#name,
      node: this.#nodes,
      initializer: this.#initializers,
      input: this.#inputs,
      output: this.#outputs,
    }
    const model: onnx.IModelProto = {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET_VERSION }],
      producerName: meta.producerName ?? 'vectorize-synthetic',
      producerVersion: meta.producerVersion,
      docString: meta.docString,
      graph,
    }
    return ModelProto.encode(model).finish()
  }
}
