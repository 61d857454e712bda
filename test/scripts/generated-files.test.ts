import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { taskMessage } from '../../src/protocol/task.ts'
import { errorTable } from '../../src/worker/errors.ts'
import { errorTableMarkers, generatedFiles, retriedText } from '../../scripts/generated-files.ts'
import { repoRoot } from '../helpers/models.ts'

describe('generated files', () => {
  it('should match the schemas in the code (run `npm run generate` after changing them)', async () => {
    for (const [path, content] of Object.entries(generatedFiles())) {
      const onDisk = await readFile(join(repoRoot(), path), 'utf8')
      assert.equal(onDisk, content, `${path} is out of date: run npm run generate`)
    }
  })

  it("should list every error code in the README's table as src/worker/errors.ts classifies it", async () => {
    const readme = await readFile(join(repoRoot(), 'README.md'), 'utf8')
    const start = readme.indexOf(errorTableMarkers.start)
    const end = readme.indexOf(errorTableMarkers.end)
    assert.ok(start >= 0 && end > start, 'README.md has its error-table markers')
    const rows = readme
      .slice(start, end)
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => line.split('|').map((cell) => cell.trim()))
      .map(([, code, kind, retried, meaning]) => [code!.replace(/`/g, ''), kind, retried, meaning])
    const expected = Object.entries(errorTable).map(([code, kind]) => [
      code,
      kind.class,
      retriedText[kind.class],
      kind.meaning,
    ])
    assert.deepEqual(rows, expected, 'README.md error table is out of date: run npm run generate')
  })

  it('should publish JSON Schemas that agree with the worker on valid and invalid messages', () => {
    const ajv = new Ajv2020({ strict: false })
    const validate = ajv.compile(
      JSON.parse(generatedFiles()['schema/task-v1.schema.json']!) as object,
    )
    const samples: [unknown, boolean][] = [
      [{ version: 1, task_id: 't', type: 'text', text: 'hi', id: 'a', metadata: { k: 1 } }, true],
      [{ task_id: 't', type: 'batch', items: [{ text: 'a' }, { id: 'b', text: 'b' }] }, true],
      [{ task_id: 't', type: 'image', image: { url: 'https://example.com/x.png' } }, true],
      [
        {
          task_id: 't',
          type: 'document',
          document: { id: 'd', content: '# T', format: 'md' },
          chunking: { strategy: 'tokens', size: 200, overlap: 20 },
        },
        true,
      ],
      [{ type: 'text', text: 'no id' }, false],
      [{ task_id: 't', type: 'video', text: 'x' }, false],
      [{ task_id: 't', type: 'text', text: 'x', extra: 1 }, false],
      [{ task_id: 't', type: 'batch', items: [] }, false],
      [{ task_id: 't', type: 'image', image: { path: 'a', url: 'b' } }, false],
      [{ task_id: 't', type: 'text', text: 'x', collection: 'bad-name' }, false],
      [{ version: 2, task_id: 't', type: 'text', text: 'x' }, false],
    ]
    for (const [message, valid] of samples) {
      assert.equal(validate(message), valid, `JSON Schema verdict for ${JSON.stringify(message)}`)
      assert.equal(
        taskMessage.safeParse(message).success,
        valid,
        `zod verdict for ${JSON.stringify(message)}`,
      )
    }
  })
})
