/**
 * A file that is appended to by several processes and replaced whole by another one (status.log,
 * rewritten by compaction). Used under the file's write lock: each use checks that the handle
 * still points at the file on disk, and reopens it if it was replaced, so no append lands in the
 * replaced copy.
 */
import type { FileHandle } from 'node:fs/promises'
import { open, stat } from 'node:fs/promises'
import { syncDir } from './durable.ts'
import { cutTornTail } from './lines.ts'
import { errorCode } from './lock.ts'
import { dirname } from 'node:path'

export interface Appendable {
  /** Opened for appending and reading. */
  readonly file: FileHandle
  /** Its size, torn tail removed: where the next append lands. */
  readonly size: number
}

export class ReplaceableFile {
  readonly path: string
  readonly #onTornTail: (bytes: number) => void
  #open: { readonly file: FileHandle; readonly ino: number } | undefined

  constructor(path: string, onTornTail: (bytes: number) => void) {
    this.path = path
    this.#onTornTail = onTornTail
  }

  /** The file as it is on disk now (created if missing), without a torn tail. */
  async current(): Promise<Appendable> {
    const onDisk = await stat(this.path).catch((err: unknown) => {
      if (errorCode(err) === 'ENOENT') return undefined
      throw err
    })
    if (this.#open === undefined || onDisk?.ino !== this.#open.ino) {
      const file = await open(this.path, 'a+')
      const { ino } = await file.stat()
      const old = this.#open
      this.#open = { file, ino }
      await old?.file.close()
      if (onDisk === undefined) await syncDir(dirname(this.path))
    }
    const { size, cut } = await cutTornTail(this.#open.file)
    if (cut > 0) this.#onTornTail(cut)
    return { file: this.#open.file, size }
  }

  async close(): Promise<void> {
    const open = this.#open
    this.#open = undefined
    await open?.file.close()
  }
}
