/**
 * Runs `action` right before the next call of a `node:fs/promises` function made by the code
 * under test, in this process: a deterministic way to put another writer's work into the window
 * between two steps of a reader (no hook in production code). `syncBuiltinESMExports` makes every
 * `import { readdir } from 'node:fs/promises'` see the wrapper; the original is back once the
 * action has run (the action's own calls go to the original).
 */
import { createRequire, syncBuiltinESMExports } from 'node:module'

const require = createRequire(import.meta.url)

export function beforeNextCall(name: string, action: () => Promise<void>): void {
  const fsp = require('node:fs/promises') as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >
  const original = fsp[name]!
  fsp[name] = async function (this: unknown, ...args: unknown[]) {
    fsp[name] = original
    syncBuiltinESMExports()
    await action()
    return original.apply(this, args)
  }
  syncBuiltinESMExports()
}
