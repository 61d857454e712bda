#!/usr/bin/env node
// Makes the Kafka client's native addon load on the Node that runs this project (the root
// `postinstall`, so `npm ci` ends with it). The other addons (onnxruntime-node, sharp, LanceDB,
// pdfjs's canvas) use N-API and load on any Node; @confluentinc/kafka-javascript is built with NAN,
// for one Node ABI (NODE_MODULE_VERSION) only.
//
// npm runs install scripts on the pinned Node from node_modules/.bin, but node-gyp compiles against
// `nodedir` when one is configured, and a machine set up for its system Node (this project's
// development machines have `nodedir=/usr` in ~/.npmrc: Node 20's headers) gets an addon that
// Node 24 refuses: "compiled against a different Node.js version using NODE_MODULE_VERSION 115".
// When the addon does not load for that reason, or was never built (npm ci --ignore-scripts), it is
// rebuilt here against the headers of the Node running this script (the node-linux-* packages ship
// include/node). The Kafka client is an optional dependency: whatever happens, this exits 0.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const NAME = '@confluentinc/kafka-javascript'
const require = createRequire(import.meta.url)
const say = (line) => console.error(`[native-addons] ${line}`)

/** Why the addon does not load in a fresh process: undefined when it loads. */
function loadError() {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(NAME)})`], {
    encoding: 'utf8',
  })
  return r.status === 0 ? undefined : r.stderr
}

/** The directory whose include/node matches this Node, for node-gyp's nodedir. */
function ownHeaders() {
  const prefix = dirname(dirname(process.execPath))
  const header = join(prefix, 'include', 'node', 'node_version.h')
  if (!existsSync(header)) return undefined
  const text = readFileSync(header, 'utf8')
  const part = (name) => new RegExp(`#define NODE_${name}_VERSION (\\d+)`).exec(text)?.[1]
  const version = `v${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`
  return version === process.version ? prefix : undefined
}

function npm(args, env) {
  const cli = process.env.npm_execpath
  const [cmd, argv] = cli?.endsWith('.js') ? [process.execPath, [cli, ...args]] : ['npm', args]
  return spawnSync(cmd, argv, { stdio: 'inherit', env: { ...process.env, ...env } }).status
}

function main() {
  let dir
  try {
    dir = dirname(require.resolve(`${NAME}/package.json`))
  } catch {
    return // not installed: its build failed, or optional dependencies were omitted
  }
  const error = loadError()
  if (error === undefined) return
  const abi = /NODE_MODULE_VERSION \d+/.test(error)
  const unbuilt = /Could not locate the bindings file/.test(error)
  if (!abi && !unbuilt) {
    say(`${NAME} does not load on Node ${process.version}; Kafka mode is unavailable:`)
    say(error.trim().split('\n')[0])
    return
  }
  const nodedir = ownHeaders()
  if (!nodedir) {
    say(`${NAME} is not built for Node ${process.version} and its headers are not next to it`)
    return
  }
  say(
    `${NAME}: ${abi ? 'built for another Node ABI' : 'not built'}; building for Node ${process.version} (${nodedir}/include)`,
  )
  rmSync(join(dir, 'build'), { recursive: true, force: true }) // node-pre-gyp skips an existing build
  const status = npm(['rebuild', NAME], { npm_config_nodedir: nodedir })
  const after = status === 0 ? loadError() : `npm rebuild exited with ${status}`
  if (after === undefined) say(`${NAME}: loads on Node ${process.version}`)
  else say(`${NAME} still does not load; Kafka mode is unavailable (README: The Kafka client)`)
}

main()
