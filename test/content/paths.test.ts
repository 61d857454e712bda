import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { readAllowedFile } from '../../src/content/paths.ts'
import type { VectorizeError } from '../../src/worker/errors.ts'

async function tree(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-paths-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'root', 'sub'), { recursive: true })
  await writeFile(join(dir, 'root', 'sub', 'in.txt'), 'inside')
  await writeFile(join(dir, 'out.txt'), 'outside')
  await symlink(join(dir, 'root'), join(dir, 'root-link'))
  return dir
}

const refused = (code: string, says: RegExp) => (err: VectorizeError) => {
  assert.equal(err.code, code)
  assert.equal(err.retriable, false)
  assert.match(err.message, says)
  return true
}

describe('readAllowedFile', () => {
  it('should read a file inside a root, also through `..` that stays inside and a symlinked root', async (t) => {
    const dir = await tree(t)
    const root = join(dir, 'root-link')
    for (const path of [
      join(dir, 'root', 'sub', 'in.txt'),
      join(dir, 'root', 'sub', '..', 'sub', 'in.txt'),
      join(dir, 'root-link', 'sub', 'in.txt'),
    ])
      assert.equal((await readAllowedFile(path, [root], 100)).toString(), 'inside', path)
  })

  it('should refuse paths outside the roots, no roots at all, and files over the byte limit', async (t) => {
    const dir = await tree(t)
    const roots = [join(dir, 'root')]
    const escape = join(dir, 'root', 'sub', '..', '..', 'out.txt')
    await assert.rejects(
      readAllowedFile(escape, roots, 100),
      refused('path_not_allowed', /outside/),
    )
    await assert.rejects(
      readAllowedFile(roots[0]!, roots, 100),
      refused('path_not_allowed', /outside/),
    )
    const inFile = join(dir, 'root', 'sub', 'in.txt')
    await assert.rejects(
      readAllowedFile(inFile, [], 100),
      refused('path_not_allowed', /allowed_roots/),
    )
    await assert.rejects(
      readAllowedFile(inFile, roots, 3),
      refused('input_too_large', /max_fetch_bytes/),
    )
    const missing = join(dir, 'root', 'nope.txt')
    await assert.rejects(readAllowedFile(missing, roots, 100), refused('not_found', /ENOENT/))
  })
})
