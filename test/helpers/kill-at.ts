/**
 * Crash points for child processes of the crash tests, with no hook in production code: the
 * child's own `node:fs/promises` functions and FileHandle methods that change files are wrapped
 * (then `syncBuiltinESMExports` makes every `import { open } from 'node:fs/promises'` see the
 * wrappers), and the process SIGKILLs itself right before the chosen change. Changes are counted
 * per phase, a label the child sets around what it is doing ("roll", "compact"...), so a test can
 * aim its kills at one phase: `phase:n` kills before the n-th change made in that phase.
 *
 * Install it before importing the code under test.
 */
import type { FileHandle } from 'node:fs/promises'
import { createRequire, syncBuiltinESMExports } from 'node:module'

const require = createRequire(import.meta.url)

/** Functions of fs/promises that change the file system. */
const changes = [
  'open',
  'rename',
  'unlink',
  'rm',
  'truncate',
  'writeFile',
  'link',
  'mkdir',
  'utimes',
]
/** FileHandle methods that change a file or make it durable. */
const handleChanges = ['write', 'writeFile', 'truncate', 'sync', 'datasync']

export interface CrashPoints {
  /** The phase changes are counted in from now on. */
  phase: string
  /** Changes counted so far, per phase. */
  readonly counts: Record<string, number>
}

/** `spec` is `phase:n`, or undefined to only count. */
export async function installCrashPoints(spec: string | undefined): Promise<CrashPoints> {
  const [killPhase, killAt] = spec === undefined ? [] : spec.split(':')
  const points: CrashPoints = { phase: 'setup', counts: {} }
  const before = (): void => {
    const n = (points.counts[points.phase] ?? 0) + 1
    points.counts[points.phase] = n
    if (points.phase === killPhase && n === Number(killAt)) process.kill(process.pid, 'SIGKILL')
  }
  const fsp = require('node:fs/promises') as Record<string, (...args: unknown[]) => unknown>
  for (const name of changes) {
    const original = fsp[name]!
    fsp[name] = function (this: unknown, ...args: unknown[]) {
      // Opening to read changes nothing.
      if (!(name === 'open' && (args[1] === undefined || args[1] === 'r'))) before()
      return original.apply(this, args)
    }
  }
  const probe: FileHandle = await (fsp.open as (path: string) => Promise<FileHandle>)('/dev/null')
  const proto = Object.getPrototypeOf(probe) as Record<string, (...args: unknown[]) => unknown>
  await probe.close()
  for (const name of handleChanges) {
    const original = proto[name]!
    proto[name] = function (this: unknown, ...args: unknown[]) {
      before()
      return original.apply(this, args)
    }
  }
  syncBuiltinESMExports()
  return points
}
