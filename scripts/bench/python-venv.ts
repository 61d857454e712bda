/**
 * The Python venvs the benchmarks compare against, made once and cached in
 * `~/.cache/vectorize/venvs/<name>` (VECTORIZE_BENCH_VENVS moves the folder; PYTHON names the
 * python3 that makes them). A venv is built under a temporary name and renamed when pip is done,
 * so a half-made one is never taken for a ready one; its name carries the pinned versions, so a
 * bump makes a new one.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'

/** The Python client bench:stores compares with; bump it deliberately (a new venv is made). */
export const WEAVIATE_PY_VERSION = '4.24.1'

export interface VenvSpec {
  /** Folder name under the venvs directory. */
  readonly name: string
  /** `pip install` arguments: requirements, `-c constraints.txt`, … */
  readonly install: readonly string[]
  /** Python that prints the version that must equal `version` when the venv is ready. */
  readonly probe: string
  readonly version: string
}

function probeVersion(python: string, probe: string): string | undefined {
  const result = spawnSync(python, ['-c', probe], { encoding: 'utf8' })
  return result.status === 0 ? result.stdout.trim() : undefined
}

function run(command: string, args: readonly string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (result.status === 0) return undefined
  const why = result.error?.message ?? result.stderr.trim().slice(-500)
  return `${command} ${args.join(' ')}: ${why}`
}

export function venvsDir(): string {
  return process.env.VECTORIZE_BENCH_VENVS ?? join(homedir(), '.cache', 'vectorize', 'venvs')
}

/** The venv's python, made if needed; or why it cannot be had here. */
export async function pythonVenv(
  spec: VenvSpec,
  say: (line: string) => void,
): Promise<{ python: string } | { skip: string }> {
  const root = venvsDir()
  const dir = join(root, spec.name)
  const python = join(dir, 'bin', 'python')
  if (existsSync(python) && probeVersion(python, spec.probe) === spec.version) return { python }
  const base = process.env.PYTHON ?? 'python3'
  if (probeVersion(base, 'print(1)') !== '1')
    return { skip: `no Python here (${base} does not run; set PYTHON to a python3)` }
  say(`preparing ${dir} (python -m venv, pip install ${spec.install.join(' ')})`)
  await mkdir(root, { recursive: true })
  const tmp = `${dir}.tmp-${process.pid}`
  await rm(tmp, { recursive: true, force: true })
  const failed =
    run(base, ['-m', 'venv', tmp]) ??
    run(join(tmp, 'bin', 'python'), [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--quiet',
      ...spec.install,
    ])
  if (failed !== undefined) {
    await rm(tmp, { recursive: true, force: true })
    return { skip: failed }
  }
  await rm(dir, { recursive: true, force: true })
  await rename(tmp, dir)
  return { python }
}

/** The venv with Weaviate's official client (bench:stores). */
export function weaviatePython(
  say: (line: string) => void,
): Promise<{ python: string } | { skip: string }> {
  return pythonVenv(
    {
      name: `weaviate-py-${WEAVIATE_PY_VERSION}`,
      install: [`weaviate-client==${WEAVIATE_PY_VERSION}`],
      probe: 'import weaviate; print(weaviate.__version__)',
      version: WEAVIATE_PY_VERSION,
    },
    say,
  )
}
