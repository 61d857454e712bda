/**
 * Writes the JSON Schemas of protocol v1 (schema/*.schema.json) and the configuration reference
 * (docs/configuration.md) from the zod schemas, and the README's error table from the error codes'
 * table. `npm run generate`; a test fails when they drift.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { format, resolveConfig } from 'prettier'
import { generatedFiles, withErrorTable } from './generated-files.ts'

const root = process.argv[2] ?? '.'
for (const [path, content] of Object.entries(generatedFiles())) {
  const target = join(root, path)
  await mkdir(dirname(target), { recursive: true })
  await writeFile(target, content)
  console.log(`wrote ${target}`)
}

const readme = join(root, 'README.md')
const spliced = withErrorTable(await readFile(readme, 'utf8'))
const options = (await resolveConfig(readme)) ?? {}
await writeFile(readme, await format(spliced, { ...options, filepath: readme }))
console.log(`wrote the error table of ${readme}`)
