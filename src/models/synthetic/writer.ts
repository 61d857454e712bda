/**
 * Puts a generated model folder on disk, idempotently. A `.generator-version` stamp records the
 * generator version, the model spec and each file's sha256; a folder whose stamp matches and whose
 * files still hash the same is left alone, so callers can generate before every test run cheaply.
 *
 * Several processes may generate the same folder at once (test files run in parallel): each file
 * is written to a unique temporary name and renamed into place, which is atomic, and the stamp is
 * written last, so a reader never sees a half-written file or a stamp ahead of its files.
 */
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, join } from 'node:path'
import { GENERATOR_VERSION, jsonFile, type ModelFiles } from './model-files.ts'

export const STAMP_FILE = '.generator-version'

export interface GeneratedModel {
  readonly id: string
  /** Absolute or root-relative folder, as `rootDir` was given. */
  readonly dir: string
  /** `unchanged` when an up-to-date folder was already there. */
  readonly status: 'written' | 'unchanged'
  /** Paths relative to `dir`, the stamp excluded, sorted. */
  readonly files: readonly string[]
  readonly bytes: number
}

interface Stamp {
  readonly generator: string
  readonly spec: unknown
  readonly files: Record<string, string>
}

function sha256(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex')
}

/** The folder of a model id: `vectorize-test/minilm-tiny` → `<root>/vectorize-test/minilm-tiny`. */
export function modelDir(rootDir: string, id: string): string {
  if (!/^[a-z0-9][\w.-]*(\/[a-z0-9][\w.-]*)?$/i.test(id)) throw new Error(`invalid model id: ${id}`)
  return join(rootDir, ...id.split('/'))
}

async function readStamp(dir: string): Promise<Stamp | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, STAMP_FILE), 'utf8')) as Stamp
  } catch {
    return undefined // missing or unreadable: regenerate
  }
}

/** The stamped files still on disk with their stamped hashes, or undefined when anything differs. */
async function verifiedFiles(
  dir: string,
  stamp: Stamp,
  spec: unknown,
): Promise<Map<string, number> | undefined> {
  const sameSpec = JSON.stringify(stamp.spec) === JSON.stringify(spec)
  if (stamp.generator !== GENERATOR_VERSION || !sameSpec) return undefined
  const sizes = new Map<string, number>()
  for (const [path, hash] of Object.entries(stamp.files)) {
    const content = await readFile(join(dir, path)).catch(() => undefined)
    if (content === undefined || sha256(content) !== hash) return undefined
    sizes.set(path, content.length)
  }
  return sizes
}

async function writeAtomic(path: string, content: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const temp = `${path}.${process.pid}.${randomUUID()}.tmp`
  try {
    await writeFile(temp, content)
    await rename(temp, path)
  } finally {
    await rm(temp, { force: true })
  }
}

function summary(
  id: string,
  dir: string,
  status: GeneratedModel['status'],
  sizes: Map<string, number>,
): GeneratedModel {
  const files = [...sizes.keys()].sort()
  const bytes = [...sizes.values()].reduce((a, b) => a + b, 0)
  return { id, dir, status, files, bytes }
}

/**
 * Writes the folder of model `id` under `rootDir` unless an up-to-date one is there. `spec` is
 * part of the stamp (a changed spec regenerates); `build` runs only when writing is needed.
 */
export async function writeModelFolder(
  rootDir: string,
  id: string,
  spec: unknown,
  build: () => ModelFiles,
): Promise<GeneratedModel> {
  const dir = modelDir(rootDir, id)
  const previous = await readStamp(dir)
  const existing = previous && (await verifiedFiles(dir, previous, spec))
  if (existing) return summary(id, dir, 'unchanged', existing)

  const files = build()
  const sizes = new Map<string, number>()
  const hashes: Record<string, string> = {}
  for (const path of [...files.keys()].sort()) {
    const content = files.get(path) ?? ''
    await writeAtomic(join(dir, path), content)
    hashes[path] = sha256(content)
    sizes.set(path, typeof content === 'string' ? Buffer.byteLength(content) : content.length)
  }
  // Files an older generator wrote and this one no longer does; other files are not ours to delete.
  for (const stale of Object.keys(previous?.files ?? {})) {
    const outside = isAbsolute(stale) || stale.split('/').includes('..')
    if (!files.has(stale) && !outside) await rm(join(dir, stale), { force: true })
  }
  await writeAtomic(
    join(dir, STAMP_FILE),
    jsonFile({ generator: GENERATOR_VERSION, spec, files: hashes }),
  )
  return summary(id, dir, 'written', sizes)
}
