/**
 * The Python that runs Weaviate's official client for bench:stores: a venv with `weaviate-client`
 * from PyPI at exactly WEAVIATE_PY_VERSION, made once and cached in
 * `~/.cache/vectorize/venvs/weaviate-py-<version>` (VECTORIZE_BENCH_VENVS moves the folder; PYTHON
 * names the python3 that makes it). A venv is built under a temporary name and renamed when pip is
 * done, so a half-made one is never taken for a ready one.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'

/** The Python client the benchmark compares with; bump it deliberately (a new venv is made). */
export const WEAVIATE_PY_VERSION = '4.24.1'

function installedVersion(python: string): string | undefined {
  const probe = spawnSync(python, ['-c', 'import weaviate; print(weaviate.__version__)'], {
    encoding: 'utf8',
  })
  return probe.status === 0 ? probe.stdout.trim() : undefined
}

function run(command: string, args: readonly string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (result.status === 0) return undefined
  return `${command} ${args.join(' ')}: ${result.error?.message ?? result.stderr.trim().slice(-500)}`
}

/** The venv's python, made if needed; or why the Python client cannot be measured here. */
export async function weaviatePython(
  say: (line: string) => void,
): Promise<{ python: string } | { skip: string }> {
  const root = process.env.VECTORIZE_BENCH_VENVS ?? join(homedir(), '.cache', 'vectorize', 'venvs')
  const dir = join(root, `weaviate-py-${WEAVIATE_PY_VERSION}`)
  const python = join(dir, 'bin', 'python')
  if (existsSync(python) && installedVersion(python) === WEAVIATE_PY_VERSION) return { python }
  say(`preparing ${dir} (python -m venv, pip install weaviate-client==${WEAVIATE_PY_VERSION})`)
  await mkdir(root, { recursive: true })
  const tmp = `${dir}.tmp-${process.pid}`
  await rm(tmp, { recursive: true, force: true })
  const failed =
    run(process.env.PYTHON ?? 'python3', ['-m', 'venv', tmp]) ??
    run(join(tmp, 'bin', 'python'), [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--quiet',
      `weaviate-client==${WEAVIATE_PY_VERSION}`,
    ])
  if (failed !== undefined) {
    await rm(tmp, { recursive: true, force: true })
    return { skip: failed }
  }
  await rm(dir, { recursive: true, force: true })
  await rename(tmp, dir)
  return { python }
}
