/**
 * Writes the synthetic test models: `node dist/scripts/generate-test-models.js [outDir]`
 * (default `fixtures/models`). Up-to-date folders are left alone, so it is cheap to run before
 * every test run or demo.
 */
import { resolve } from 'node:path'
import { GENERATOR_VERSION, generateTestModels } from '../src/models/synthetic/index.ts'

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1)} MiB`
    : `${(bytes / 1024).toFixed(0)} KiB`
}

async function main(argv: readonly string[]): Promise<number> {
  const help = argv[0] === '--help' || argv[0] === '-h'
  if (help || argv.length > 1 || argv[0]?.startsWith('-')) {
    console.error('usage: generate-test-models [outDir]   (default: fixtures/models)')
    return help ? 0 : 2
  }
  const rootDir = resolve(argv[0] ?? 'fixtures/models')
  const started = performance.now()
  const models = await generateTestModels(rootDir)
  for (const m of models) {
    console.log(
      `${m.status.padEnd(9)} ${m.id}  ${m.files.length} files, ${formatBytes(m.bytes)}  → ${m.dir}`,
    )
  }
  const ms = Math.round(performance.now() - started)
  console.log(`generator v${GENERATOR_VERSION}: ${models.length} models in ${rootDir} (${ms} ms)`)
  return 0
}

process.exitCode = await main(process.argv.slice(2))
