#!/usr/bin/env node
// Runs the compiled tests under dist/<dir> with node:test. Node 20 has no --test exclusion or
// glob support, so this script lists the files itself: `test/integration` (tests that need
// services) only runs when asked for by name.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const roots = process.argv.slice(2)
if (roots.length === 0) roots.push('test')
const includeIntegration = roots.some((r) => r.includes('integration'))

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      if (!includeIntegration && name === 'integration') return []
      return walk(path)
    }
    return name.endsWith('.test.js') ? [path] : []
  })
}

const files = roots.flatMap((root) => walk(join('dist', root))).sort()
if (files.length === 0) {
  console.error(`no test files under ${roots.map((r) => join('dist', r)).join(', ')}`)
  process.exit(1)
}
const result = spawnSync(
  process.execPath,
  ['--enable-source-maps', '--test', '--test-concurrency=2', ...files],
  { stdio: 'inherit' },
)
process.exit(result.status ?? 1)
