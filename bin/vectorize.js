#!/usr/bin/env node
// libuv's thread pool (4 threads by default) also runs the Kafka client's blocking calls
// (committed offsets, offset lists), each holding a thread until the broker answers or its timeout
// ends; a few of them during a broker outage left nothing for file reads (issue 10). Set before
// the pool starts, so the import comes after.
process.env.UV_THREADPOOL_SIZE ??= '16'
const { main } = await import('../dist/src/cli/index.js')

process.exitCode = await main(process.argv.slice(2))
