/**
 * Writes the JSON Schemas of protocol v1 (schema/*.schema.json) and the configuration reference
 * (docs/configuration.md) from the zod schemas. `npm run generate`; a test fails when they drift.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { generatedFiles } from './generated-files.ts'

const root = process.argv[2] ?? '.'
for (const [path, content] of Object.entries(generatedFiles())) {
  const target = join(root, path)
  await mkdir(dirname(target), { recursive: true })
  await writeFile(target, content)
  console.log(`wrote ${target}`)
}
