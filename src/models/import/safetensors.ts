/**
 * A reader for the safetensors format (8-byte little-endian header length, a JSON header naming
 * each tensor's dtype, shape and byte range, then the raw little-endian data). Small enough to
 * own: it only reads, validates every range against the file, and decodes F32, F16 and BF16 into
 * float32, the only weights `models import` writes.
 */
import { readFile } from 'node:fs/promises'
import { VectorizeError } from '../../worker/errors.ts'

export interface SafeTensor {
  readonly dtype: string
  readonly shape: readonly number[]
}

type Entry = SafeTensor & { readonly begin: number; readonly end: number }

export class SafeTensors {
  readonly file: string
  readonly #data: Buffer
  readonly #start: number
  readonly #entries: Map<string, Entry>

  private constructor(file: string, data: Buffer, start: number, entries: Map<string, Entry>) {
    this.file = file
    this.#data = data
    this.#start = start
    this.#entries = entries
  }

  static async open(file: string): Promise<SafeTensors> {
    const data = await readFile(file).catch((err: Error) => {
      throw invalid(file, `cannot be read: ${err.message}`, err)
    })
    if (data.length < 8) throw invalid(file, 'is shorter than its 8-byte header length')
    const headerLength = Number(data.readBigUInt64LE(0))
    if (headerLength > data.length - 8 || headerLength > 100_000_000)
      throw invalid(file, `declares a ${headerLength}-byte header in a ${data.length}-byte file`)
    let header: Record<string, unknown>
    try {
      header = JSON.parse(data.subarray(8, 8 + headerLength).toString('utf8')) as Record<
        string,
        unknown
      >
    } catch (err) {
      throw invalid(file, 'has a header that is not JSON', err)
    }
    const start = 8 + headerLength
    const entries = new Map<string, Entry>()
    for (const [name, value] of Object.entries(header)) {
      if (name === '__metadata__') continue
      entries.set(name, entry(file, name, value, data.length - start))
    }
    return new SafeTensors(file, data, start, entries)
  }

  names(): string[] {
    return [...this.#entries.keys()]
  }

  info(name: string): SafeTensor | undefined {
    return this.#entries.get(name)
  }

  /** The tensor as float32, row-major in its stored shape. */
  float32(name: string): Float32Array {
    const e = this.#entries.get(name)
    if (!e) throw invalid(this.file, `has no tensor ${name}`)
    const bytes = this.#data.subarray(this.#start + e.begin, this.#start + e.end)
    switch (e.dtype) {
      case 'F32':
        return new Float32Array(
          bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
        )
      case 'F16':
        return halves(bytes, halfToFloat)
      case 'BF16':
        return halves(bytes, (h) => bfloatToFloat(h))
      default:
        throw invalid(
          this.file,
          `stores ${name} as ${e.dtype}; only F32, F16 and BF16 weights are supported`,
        )
    }
  }
}

const dtypeBytes: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
}

function entry(file: string, name: string, value: unknown, dataLength: number): Entry {
  const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown }
  const shape = v.shape
  const offsets = v.data_offsets
  const size = typeof v.dtype === 'string' ? dtypeBytes[v.dtype] : undefined
  if (
    size === undefined ||
    !Array.isArray(shape) ||
    !shape.every((d) => Number.isInteger(d) && d >= 0) ||
    !Array.isArray(offsets) ||
    offsets.length !== 2
  )
    throw invalid(file, `has a malformed header entry for ${name}`)
  const [begin, end] = offsets as [number, number]
  const count = (shape as number[]).reduce((a, b) => a * b, 1)
  if (!(begin >= 0 && end <= dataLength && end - begin === count * size))
    throw invalid(
      file,
      `gives ${name} the byte range [${begin}, ${end}), which does not fit its shape or the file`,
    )
  return { dtype: v.dtype as string, shape: shape as number[], begin, end }
}

function halves(bytes: Buffer, decode: (h: number) => number): Float32Array {
  const out = new Float32Array(bytes.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = decode(bytes.readUInt16LE(i * 2))
  return out
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * frac * 2 ** -24
  if (exp === 0x1f) return frac ? NaN : sign * Infinity
  return sign * (1 + frac / 1024) * 2 ** (exp - 15)
}

const scratch = new DataView(new ArrayBuffer(4))
function bfloatToFloat(h: number): number {
  scratch.setUint32(0, h << 16)
  return scratch.getFloat32(0)
}

function invalid(file: string, what: string, cause?: unknown): VectorizeError {
  return new VectorizeError('invalid_argument', `${file} ${what}`, { cause })
}
