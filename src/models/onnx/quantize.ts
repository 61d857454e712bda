/**
 * Dynamic int8 quantization of a built graph, the form of the hub's `model_quantized.onnx` files
 * (ONNX Runtime's `quantize_dynamic`): every MatMul by a float weight becomes
 * DynamicQuantizeLinear(x) → MatMulInteger(x_q, W_q) → Cast → Mul(x_scale · W_scale), which ONNX
 * Runtime fuses into its integer kernels at session start. Weights are int8, symmetric, one scale
 * per output column; activations are quantized per call, so no calibration data is needed.
 */
import { ElemType, attr, type Attr, type GraphBuilder, type NodeProto } from './builder.ts'

export interface QuantizeOptions {
  /** Weights left in float32 (layers too sensitive to quantize), by initializer name. */
  readonly keepFloat?: (weight: string) => boolean
}

export interface QuantizeResult {
  readonly quantized: number
  readonly kept: number
}

export function quantizeMatMuls(g: GraphBuilder, options: QuantizeOptions = {}): QuantizeResult {
  const out: NodeProto[] = []
  const proto = nodeMaker()
  const quantizedInputs = new Map<string, readonly [string, string, string]>()
  let quantized = 0
  let kept = 0
  const zero = g.int8Tensor('quantized_zero_point', [], Int8Array.of(0))
  for (const node of g.nodes) {
    const weightName = node.opType === 'MatMul' ? node.input?.[1] : undefined
    const weight = weightName === undefined ? undefined : g.floatInitializer(weightName)
    if (!weight || weight.dims.length !== 2 || !weightName) {
      out.push(node)
      continue
    }
    if (options.keepFloat?.(weightName)) {
      kept++
      out.push(node)
      continue
    }
    const x = node.input![0]!
    let q = quantizedInputs.get(x)
    if (!q) {
      q = [`${x}_quantized`, `${x}_scale`, `${x}_zero_point`] as const
      quantizedInputs.set(x, q)
      out.push(proto('DynamicQuantizeLinear', [x], [...q]))
    }
    const [rows, cols] = weight.dims as [number, number]
    const { values, scales } = quantizeColumns(weight.data, rows, cols)
    const wq = g.int8Tensor(`${weightName}_quantized`, [rows, cols], values)
    const ws = g.floatTensor(`${weightName}_scale`, [cols], scales)
    const y = node.output![0]!
    out.push(
      proto('MatMulInteger', [q[0], wq, q[2], zero], [`${y}_int32`]),
      proto('Cast', [`${y}_int32`], [`${y}_float`], { to: attr.int(ElemType.float) }),
      proto('Mul', [q[1], ws], [`${y}_rescale`]),
      proto('Mul', [`${y}_float`, `${y}_rescale`], [y]),
    )
    quantized++
  }
  g.replaceNodes(out)
  g.pruneInitializers()
  return { quantized, kept }
}

/** Symmetric int8 per output column: scale = max|w| / 127, values rounded half to even. */
export function quantizeColumns(
  data: Float32Array,
  rows: number,
  cols: number,
): { values: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(cols)
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) scales[c] = Math.max(scales[c]!, Math.abs(data[r * cols + c]!))
  for (let c = 0; c < cols; c++) scales[c] = scales[c]! > 0 ? scales[c]! / 127 : 1
  const values = new Int8Array(rows * cols)
  for (let i = 0; i < values.length; i++) {
    const v = roundHalfEven(data[i]! / scales[i % cols]!)
    values[i] = Math.max(-127, Math.min(127, v))
  }
  return { values, scales }
}

function roundHalfEven(x: number): number {
  const r = Math.round(x)
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}

/** Node protos named by a per-graph counter, so equal graphs quantize to equal bytes. */
function nodeMaker() {
  let counter = 0
  return (opType: string, input: string[], output: string[], attrs: Record<string, Attr> = {}) => {
    const attribute = Object.entries(attrs).map(([name, a]) => ({ ...a, name }))
    return { name: `${opType}_q${counter++}`, opType, input, output, attribute } as NodeProto
  }
}
