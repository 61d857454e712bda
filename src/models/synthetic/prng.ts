/**
 * Seeded pseudo-random numbers for the synthetic models. Only integer arithmetic, `Math.imul` and
 * `Math.sqrt` (correctly rounded by IEEE 754) are used, never `Math.log`/`Math.cos`, whose last
 * bits may differ between engines: that is what makes the generated weights byte-identical
 * everywhere.
 */

/** FNV-1a over the UTF-16 code units of `text`: turns a seed string into 32 bits. */
export function hashString(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** A small fast generator (sfc32) seeded through splitmix32, one stream per seed string. */
export class Prng {
  #a: number
  #b: number
  #c: number
  #d: number

  constructor(seed: string) {
    let s = hashString(seed)
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.#a = next()
    this.#b = next()
    this.#c = next()
    this.#d = next()
    // Discard the first outputs: sfc32 mixes poorly right after seeding.
    for (let i = 0; i < 12; i++) this.nextUint32()
  }

  nextUint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0
    this.#d = (this.#d + 1) | 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) | 0
    this.#c = (this.#c << 21) | (this.#c >>> 11)
    this.#c = (this.#c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1) with 24 bits, so every value is exact in float32. */
  uniform(): number {
    return (this.nextUint32() >>> 8) / 16777216
  }

  /**
   * Approximately N(0, 1): an Irwin–Hall sum of four uniforms, rescaled to unit variance. Its
   * tails stop at ±3.46, which suits weight initialisation (like a truncated normal).
   */
  normal(): number {
    const sum = this.uniform() + this.uniform() + this.uniform() + this.uniform()
    return (sum - 2) * Math.sqrt(3)
  }

  /** `count` draws of N(0, std²) as float32. */
  normals(count: number, std: number): Float32Array {
    const out = new Float32Array(count)
    for (let i = 0; i < count; i++) out[i] = this.normal() * std
    return out
  }
}
