#!/usr/bin/env node
// Runs the compiled tests under dist/<dir> with node:test. Node 20 has no --test exclusion or
// glob support, so this script lists the files itself: `test/integration` (tests that need
// services), `test/browser` (the dashboard in Chromium, with services) and `test/real-model` (the
// imported real models: `npm run test:real-model`) only run when asked for by name, one file at a
// time (they share the services).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const roots = process.argv.slice(2)
if (roots.length === 0) roots.push('test')
const tiers = ['integration', 'browser', 'real-model']
const asked = new Set(tiers.filter((tier) => roots.some((r) => r.includes(tier))))
const serial = asked.size > 0

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      if (tiers.includes(name) && !asked.has(name)) return []
      return walk(path)
    }
    // a compiled test whose source was deleted or moved stays in dist/: skip it
    const source = path.replace(/^dist[\\/]/, '').replace(/\.js$/, '.ts')
    return name.endsWith('.test.js') && existsSync(source) ? [path] : []
  })
}

// A single file may be named by its source path: test/x/y.test.ts runs dist/test/x/y.test.js.
const compiled = (root) => join('dist', root.replace(/\.ts$/, '.js'))
const files = roots
  .flatMap((root) => (root.endsWith('.ts') ? [compiled(root)] : walk(compiled(root))))
  .sort()
if (files.length === 0) {
  console.error(`no test files under ${roots.map((r) => join('dist', r)).join(', ')}`)
  process.exit(1)
}
const result = spawnSync(
  process.execPath,
  ['--enable-source-maps', '--test', `--test-concurrency=${serial ? 1 : 2}`, ...files],
  { stdio: 'inherit' },
)
process.exit(result.status ?? 1)
