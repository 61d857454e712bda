#!/usr/bin/env node
// Runs the tests of one tier with node:test, straight from the TypeScript sources (Node 22.18+
// strips the types; nothing is compiled first). Usage:
//   node scripts/run-tests.mjs [test | test/<tier> | test/<dir> | test/x/y.test.ts ...]
// The tier of a test is the folder it is in (README: Testing):
//   test/            the fast tier (`npm test`): every *.test.ts outside the folders below; unit
//                    tests, contract suites on the fakes and the embedded adapters, worker logic on
//                    the fakes. No services, no Python, no network, no build.
//   test/e2e/        the real CLI in child processes (bin/vectorize.js runs dist/: build first),
//                    and the tests that need the Python test tools or promtool
//   test/integration/  Kafka, Redis, Weaviate (scripts/services.sh), one file at a time
//   test/real-model/   the imported real models (npm run models:real), one file at a time
//   test/browser/      the dashboard in Chromium, one file at a time
// A tier folder runs only when named. Under CI=true a run in which any test was skipped fails:
// CI must run every test it is given (test/helpers/skip.ts).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const TIERS = ['e2e', 'integration', 'real-model', 'browser']
/** Tiers whose tests share services or a machine-sized model: one file at a time. */
const SERIAL = ['integration', 'real-model', 'browser']
/** Tiers whose tests use the Python test tools (scripts/test-tools.ts). */
const NEEDS_TOOLS = ['e2e']

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `the tests run their TypeScript sources directly: Node 22.18 or newer (this is ${process.version}; npm scripts run the pinned Node 24)`,
  )
  process.exit(1)
}

const root = join(fileURLToPath(import.meta.url), '..', '..')
process.chdir(root)
const args = process.argv.slice(2)
if (args.length === 0) args.push('test')

/** The tier a path belongs to: the tier folder it is in, or 'fast'. */
function tierOf(path) {
  const top = relative('test', path).split(sep)[0]
  return TIERS.includes(top) ? top : 'fast'
}

function walk(dir, named) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      // a tier folder inside the walk runs only when it was named itself
      if (dir === 'test' && TIERS.includes(name) && !named.includes(path)) return []
      return walk(path, named)
    }
    return name.endsWith('.test.ts') ? [path] : []
  })
}

const named = args.map((a) => a.replace(/[\\/]+$/, ''))
const files = named.flatMap((a) => (a.endsWith('.ts') ? [a] : walk(a, named))).sort()
const missing = files.filter((f) => !existsSync(f))
if (files.length === 0 || missing.length > 0) {
  console.error(
    missing.length > 0
      ? `no such file: ${missing.join(', ')}`
      : `no tests under ${named.join(', ')}`,
  )
  process.exit(1)
}
const tiers = [...new Set(files.map((f) => tierOf(f)))]

const env = { ...process.env, VECTORIZE_TEST_TIERS: tiers.join(',') }
if (tiers.some((t) => NEEDS_TOOLS.includes(t))) {
  const { testTools } = await import('./test-tools.ts')
  Object.assign(env, await testTools(env, (line) => console.error(`test tools: ${line}`)))
}

const ci = process.env.CI === 'true'
/**
 * Files at a time: 1 where they share services or a machine-sized model; 2 for the e2e tier (each
 * file starts CLI processes of its own); 4 for the fast tier, whose files mostly wait on I/O.
 */
function concurrency() {
  if (tiers.some((t) => SERIAL.includes(t))) return 1
  return tiers.includes('e2e') ? 2 : 4
}
const result = spawnSync(
  process.execPath,
  [
    '--test',
    `--test-concurrency=${concurrency()}`,
    // the skips are counted for CI; the usual output goes to stdout as without this
    ...(ci
      ? ['--test-reporter=./scripts/test-skips.mjs', '--test-reporter-destination=stderr']
      : []),
    ...(ci ? ['--test-reporter=spec', '--test-reporter-destination=stdout'] : []),
    ...files,
  ],
  { stdio: 'inherit', env },
)
process.exit(result.status ?? 1)
