/**
 * Local reads under the allowed roots. Both the roots and the requested path are resolved with
 * realpath, so `..` segments and symlinks (anywhere in the path) are judged by where they lead.
 */
import { constants } from 'node:fs'
import { open, realpath } from 'node:fs/promises'
import { isAbsolute, relative, resolve } from 'node:path'
import { VectorizeError } from '../worker/errors.ts'

export async function readAllowedFile(
  path: string,
  roots: readonly string[],
  maxBytes: number,
): Promise<Buffer> {
  const real = await allowedPath(path, roots)
  // O_NOFOLLOW: the last component was just resolved; refuse it if swapped for a symlink since.
  const file = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW).catch((err: unknown) => {
    throw notReadable(path, err)
  })
  try {
    const stat = await file.stat()
    if (!stat.isFile())
      throw new VectorizeError('invalid_task', `content path ${path} is not a regular file`)
    if (stat.size > maxBytes) throw tooLarge(path, stat.size, maxBytes)
    return await file.readFile()
  } finally {
    await file.close()
  }
}

/** The realpath of `path` if it lies inside one of the (realpath'd) roots; `path_not_allowed` if not. */
export async function allowedPath(path: string, roots: readonly string[]): Promise<string> {
  if (roots.length === 0)
    throw new VectorizeError(
      'path_not_allowed',
      `local path ${path} refused: no content.allowed_roots are configured`,
    )
  const real = await realpath(resolve(path)).catch((err: unknown) => {
    throw notReadable(path, err)
  })
  for (const root of roots) {
    const realRoot = await realpath(resolve(root)).catch(() => undefined)
    if (realRoot && inside(realRoot, real)) return real
  }
  throw new VectorizeError(
    'path_not_allowed',
    `local path ${path} resolves to ${real}, outside content.allowed_roots (${roots.join(', ')})`,
    { details: { path } },
  )
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)
}

function notReadable(path: string, err: unknown): VectorizeError {
  const code = (err as NodeJS.ErrnoException)?.code
  return new VectorizeError(
    'not_found',
    `content path ${path} cannot be read (${code ?? String(err)})`,
    {
      cause: err,
      details: { path },
    },
  )
}

export function tooLarge(what: string, bytes: number, maxBytes: number): VectorizeError {
  return new VectorizeError(
    'input_too_large',
    `${what} is ${bytes} bytes, over content.max_fetch_bytes (${maxBytes})`,
    { details: { bytes, max: maxBytes } },
  )
}
