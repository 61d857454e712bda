// The Node that runs vectorize: this one when it is new enough, else the pinned one (bin/vectorize.js).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const MINIMUM = [22, 12] // package.json engines.node

/** The pinned Node's path when this Node is too old for vectorize; undefined when this one will do. */
export function pinnedRuntime() {
  const [major, minor] = process.versions.node.split('.').map(Number)
  if (major > MINIMUM[0] || (major === MINIMUM[0] && minor >= MINIMUM[1])) return undefined
  const root = dirname(dirname(fileURLToPath(import.meta.url)))
  const pinned = join(
    root,
    'node_modules',
    `node-${process.platform}-${process.arch}`,
    'bin',
    'node',
  )
  if (existsSync(pinned) && pinned !== process.execPath) return pinned
  console.error(
    `vectorize needs Node.js ${MINIMUM.join('.')} or newer; this is ${process.version}, and no ` +
      `pinned Node is installed for ${process.platform}-${process.arch} (npm installs one on Linux x64 and arm64).`,
  )
  process.exit(1)
}

/**
 * Runs this command again under `node`, passing signals on (SIGTERM drains the worker), and
 * resolves to its exit code (128 + the signal's number when a signal ended it).
 */
export function relaunch(node) {
  const child = spawn(node, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' })
  const forward = (signal) => child.kill(signal)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward)
  return new Promise((resolve) => {
    child.on('error', (err) => {
      console.error(`vectorize: cannot run ${node}: ${err.message}`)
      resolve(1)
    })
    child.on('exit', (code, signal) => {
      const numbers = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1, SIGKILL: 9 }
      resolve(code ?? 128 + (numbers[signal] ?? 1))
    })
  })
}
