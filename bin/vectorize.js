#!/usr/bin/env node
// vectorize needs Node 22.12+. npm scripts and npx already run the Node that package.json pins
// (node_modules/.bin/node, from the node-linux-* optional dependency); started by an older node
// (`node bin/vectorize.js` on a system Node 20), it runs again under that pinned one.
import { pinnedRuntime, relaunch } from './runtime.js'

// libuv's thread pool (4 threads by default) also runs the Kafka client's blocking calls
// (committed offsets, offset lists), each holding a thread until the broker answers or its timeout
// ends; a few of them during a broker outage left nothing for file reads (issue 10). Set before
// the pool starts (the CLI is imported below), and inherited by a relaunched runtime.
process.env.UV_THREADPOOL_SIZE ??= '16'

const pinned = pinnedRuntime()
if (pinned) {
  process.exitCode = await relaunch(pinned)
} else {
  const { main } = await import('../dist/src/cli/index.js')
  process.exitCode = await main(process.argv.slice(2))
}
