/** Where the local task log ends: the offset the next message will get. */
import { open } from 'node:fs/promises'
import { countLines } from '../files/lines.ts'
import { errorCode } from '../files/lock.ts'
import { listSegments } from '../files/segments.ts'
import { taskLogPrefix } from './local-log.ts'

export class LogEnd {
  readonly #dir: string
  /** Lines counted in the active segment, so the next call reads only what was appended since. */
  #counted: { base: number; end: number; lines: number } | undefined

  constructor(dir: string) {
    this.#dir = dir
  }

  /** The active segment's base plus its complete lines (undefined: the log has no segment yet). */
  async next(): Promise<number | undefined> {
    for (let attempt = 0; ; attempt++) {
      const active = (await listSegments(this.#dir, taskLogPrefix)).at(-1)
      if (active === undefined) return undefined
      let counted = this.#counted
      if (counted?.base !== active.base) counted = { base: active.base, end: 0, lines: 0 }
      try {
        const file = await open(active.path, 'r')
        try {
          const { size } = await file.stat()
          const more = await countLines(file, counted.end, size)
          counted = { base: active.base, end: more.end, lines: counted.lines + more.lines }
        } finally {
          await file.close()
        }
      } catch (err) {
        // Deleted between the listing and the open: only a closed segment can be, so look again.
        if (errorCode(err) === 'ENOENT' && attempt < 3) continue
        throw err
      }
      this.#counted = counted
      return counted.base + counted.lines
    }
  }
}
