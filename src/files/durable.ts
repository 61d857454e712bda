/** Durable file primitives: atomic replacement and directory fsync (a rename is durable only then). */
import { open, rename } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** Replaces `path` with `data` so that a crash leaves either the old or the new content. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.tmp`)
  const file = await open(temp, 'w')
  try {
    await file.writeFile(data)
    await file.sync()
  } finally {
    await file.close()
  }
  await rename(temp, path)
  await syncDir(dirname(path))
}

/** Makes a created or renamed directory entry durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** fsync of the file at `path`; a file that no longer exists has nothing to sync. */
export async function syncFile(path: string): Promise<void> {
  let file
  try {
    file = await open(path, 'r')
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') return
    throw err
  }
  try {
    await file.datasync()
  } finally {
    await file.close()
  }
}
