/** Append handles for the local reporter's logs, with torn-tail detection. */
import type { FileHandle } from 'node:fs/promises'
import { open } from 'node:fs/promises'

import { newline } from '../files/lines.ts'

export interface AppendFile {
  /** Opened for appending and reading. */
  readonly file: FileHandle
  /** The last byte is not a newline: a writer crashed mid-record. */
  readonly endsMidLine: boolean
}

export async function openAppend(path: string): Promise<AppendFile> {
  const file = await open(path, 'a+')
  try {
    const { size } = await file.stat()
    if (size === 0) return { file, endsMidLine: false }
    const last = Buffer.alloc(1)
    await file.read(last, 0, 1, size - 1)
    return { file, endsMidLine: last[0] !== newline }
  } catch (err) {
    await file.close()
    throw err
  }
}

/** Makes created directory entries durable. */
