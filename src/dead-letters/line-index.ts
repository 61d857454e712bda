/**
 * A sparse index of a JSON Lines file: the byte position of every `stride`-th line, extended by
 * reading only the bytes appended since the last look. Reading "the lines from index n" then
 * starts at most `stride` lines before n instead of at the top of the file.
 */
import { open } from 'node:fs/promises'
import { readLines } from '../files/lines.ts'
import { errorCode } from '../files/lock.ts'

export const stride = 256

export class LineIndex {
  readonly #path: string
  /** positions[k]: where line k × stride starts. */
  readonly #positions: number[] = [0]
  #lines = 0
  /** Bytes indexed so far: always the end of a complete line. */
  #end = 0

  constructor(path: string) {
    this.#path = path
  }

  /** Complete lines in the file now (a torn or half-written last line does not count). */
  async lines(): Promise<number> {
    let file
    try {
      file = await open(this.#path, 'r')
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return this.#lines // removed (retention): as last seen
      throw err
    }
    try {
      for await (const line of readLines(file, this.#end)) {
        this.#lines++
        this.#end = line.end
        if (this.#lines % stride === 0) this.#positions.push(line.end)
      }
    } finally {
      await file.close()
    }
    return this.#lines
  }

  /** Where to start reading to reach line `n`: a line index at or before it and its position. */
  seek(n: number): { line: number; position: number } {
    const k = Math.min(Math.floor(n / stride), this.#positions.length - 1)
    return { line: k * stride, position: this.#positions[k] ?? 0 }
  }
}
