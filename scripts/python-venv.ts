/**
 * A Python venv with pinned PyPI packages, made once and cached in
 * `~/.cache/vectorize/venvs/<name>` (VECTORIZE_VENVS moves the folder; PYTHON names the python3
 * that makes it). A venv is built under a temporary name and renamed when pip is done, so a
 * half-made one is never taken for a ready one; one whose packages are not the pinned versions
 * (a bump, a damaged folder) is made again. Used by the benchmarks (bench:stores) and by the test
 * runner (scripts/test-tools.ts).
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'

export interface VenvSpec {
  /** The folder's name under the venvs folder; put the versions in it. */
  readonly name: string
  /** PyPI name → exact version. */
  readonly packages: Readonly<Record<string, string>>
  /** A pip constraints file holding every other package to a version (`pip install -c`). */
  readonly constraints?: string
}

export function venvsRoot(): string {
  return (
    process.env.VECTORIZE_VENVS ??
    process.env.VECTORIZE_BENCH_VENVS ??
    join(homedir(), '.cache', 'vectorize', 'venvs')
  )
}

/** Whether `python` has every package of `spec` at its pinned version. */
function ready(python: string, spec: VenvSpec): boolean {
  const probe = spawnSync(
    python,
    [
      '-c',
      'import sys\nfrom importlib.metadata import version\n' +
        'print("\\n".join(version(p) for p in sys.argv[1:]))',
      ...Object.keys(spec.packages),
    ],
    { encoding: 'utf8' },
  )
  return (
    probe.status === 0 && probe.stdout.trim() === Object.values(spec.packages).join('\n').trim()
  )
}

function run(command: string, args: readonly string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (result.status === 0) return undefined
  return `${command} ${args.join(' ')}: ${result.error?.message ?? result.stderr.trim().slice(-500)}`
}

/** The venv's python, made if needed; or why it cannot be made here (no python3, no PyPI). */
export async function pythonVenv(
  spec: VenvSpec,
  say: (line: string) => void,
): Promise<{ python: string } | { skip: string }> {
  const root = venvsRoot()
  const dir = join(root, spec.name)
  const python = join(dir, 'bin', 'python')
  if (existsSync(python) && ready(python, spec)) return { python }
  const pins = Object.entries(spec.packages).map(([name, version]) => `${name}==${version}`)
  say(`preparing ${dir} (python3 -m venv, pip install ${pins.join(' ')})`)
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
      ...pins,
      ...(spec.constraints ? ['-c', spec.constraints] : []),
    ])
  if (failed !== undefined) {
    await rm(tmp, { recursive: true, force: true })
    return { skip: failed }
  }
  await rm(dir, { recursive: true, force: true })
  await rename(tmp, dir)
  return { python }
}
