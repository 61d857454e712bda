#!/usr/bin/env node
// vectorize needs Node 22.12+. npm scripts and npx already run the Node that package.json pins
// (node_modules/.bin/node, from the node-linux-* optional dependency); started by an older node
// (`node bin/vectorize.js` on a system Node 20), it runs again under that pinned one.
import { pinnedRuntime, relaunch } from './runtime.js'

const pinned = pinnedRuntime()
if (pinned) {
  process.exitCode = await relaunch(pinned)
} else {
  const { main } = await import('../dist/src/cli/index.js')
  process.exitCode = await main(process.argv.slice(2))
}
