/**
 * Puts an imported model folder in place. Each file is written to a unique temporary name and
 * renamed (atomic), and a stamp recording the importer version, the source's fingerprint and each
 * file's sha256 is written last: a folder whose stamp matches and whose files still hash the same
 * is left alone, so importing again is cheap and a half-written folder never looks complete.
 */
import { createHash, randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

export const STAMP = '.vectorize-import.json'

export interface Stamp {
  readonly importer: string
  readonly source: string
  readonly files: Readonly<Record<string, string>>
}

export function sha256(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex')
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

export async function readStamp(dir: string): Promise<Stamp | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, STAMP), 'utf8')) as Stamp
  } catch {
    return undefined
  }
}

/** Whether every file in `paths` is on disk with the hash the stamp recorded. */
export async function stampHolds(
  dir: string,
  stamp: Stamp,
  paths: readonly string[],
): Promise<boolean> {
  for (const path of paths) {
    const expected = stamp.files[path]
    if (!expected) return false
    const actual = await sha256File(join(dir, path)).catch(() => undefined)
    if (actual !== expected) return false
  }
  return true
}

export async function writeAtomic(path: string, content: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const temp = `${path}.${process.pid}.${randomUUID()}.tmp`
  try {
    await writeFile(temp, content)
    await rename(temp, path)
  } finally {
    await rm(temp, { force: true })
  }
}

export async function writeStamp(dir: string, stamp: Stamp): Promise<void> {
  await writeAtomic(join(dir, STAMP), `${JSON.stringify(stamp, null, 2)}\n`)
}
