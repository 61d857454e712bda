/**
 * all-mpnet-base-v2 (MPNet: relative position buckets, not BERT), reassembled from the five-part
 * split zip on PyPI and imported by `vectorize models import`, against sentence-transformers'
 * vectors for 100 of the shared texts (fixtures/all-mpnet-base-v2: how they were made is in its
 * README). Text and batch tasks through the real CLI and worker.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { ResultMessage } from '../../src/protocol/report.ts'
import { createWorkspace, describeRun, suiteCleanup, type Workspace } from '../helpers/cli.ts'
import {
  MPNET,
  cosine,
  missingModel,
  readReference,
  skipUnless,
  summary,
  workerEnv,
} from './real-models.ts'
import { referenceTasks, resultsOf, storedVectors } from './tasks.ts'

const MIN_COSINE = 0.99999
const FIXTURE = join(
  fileURLToPath(new URL('.', import.meta.url)).replace(/[\\/]dist[\\/]/, '/'),
  'fixtures',
  'all-mpnet-base-v2',
)
const skip = skipUnless('all-mpnet-base-v2', missingModel(MPNET))

describe('all-mpnet-base-v2 through the CLI and worker', { skip }, () => {
  const cleanup = suiteCleanup()
  const ref = readReference(FIXTURE)
  let ws: Workspace
  let results: Map<string, ResultMessage>

  before(async () => {
    ws = await createWorkspace(cleanup)
    const env = workerEnv(MPNET)
    const file = join(ws.dir, 'tasks.jsonl')
    // text and batch tasks (the document path is the MiniLM suite's)
    const tasks = referenceTasks(ref.texts.map((t) => t.text)).filter(
      (l) => !l.includes('"document"'),
    )
    await writeFile(file, tasks.join('\n') + '\n')
    for (const [args, timeoutMs] of [
      [['submit', file], 60_000],
      [['worker', '--exit-when-idle'], 1_200_000],
    ] as const) {
      const result = await ws.run(args, { env, timeoutMs })
      if (result.code !== 0) throw new Error(describeRun(args, result))
    }
    results = await resultsOf(ws.queueDir)
  })

  for (const [path, collection, prefix] of [
    ['text', 'ref_text', 't-'],
    ['batch', 'ref_batch', 'b-'],
  ] as const) {
    it(`${path} tasks should give sentence-transformers' vectors (min cosine ≥ ${MIN_COSINE})`, async (t) => {
      const stored = await storedVectors(ws.lancedbPath, collection)
      const d = ref.dimensions
      const cosines = ref.texts.map((_, i) => {
        const vector = stored.get(`${prefix}${i}`)
        assert.ok(vector, `${collection}: no vector stored for text ${i}`)
        return cosine(vector, ref.vectors.subarray(i * d, (i + 1) * d))
      })
      const { min, median } = summary(cosines)
      t.diagnostic(
        `${path}: min cosine ${min.toFixed(9)} (1 − min = ${(1 - min).toExponential(1)}), median ${median.toFixed(9)} (${cosines.length} texts)`,
      )
      assert.ok(min >= MIN_COSINE, `min cosine ${min} at text ${cosines.indexOf(min)}`)
    })
  }

  it('text tasks should report each text’s input_tokens and truncation at 384 tokens', () => {
    ref.texts.forEach((expected, i) => {
      const result = results.get(`text-${i}`)
      assert.ok(result, `no result for text ${i}`)
      assert.equal(result.counts.truncated, expected.truncated ? 1 : 0, `text ${i} truncated`)
      if (expected.truncated)
        assert.deepEqual(result.truncated, [
          { index: 0, id: `t-${i}`, input_tokens: expected.input_tokens },
        ])
      else assert.equal(result.counts.tokens, expected.input_tokens, `text ${i} tokens`)
    })
  })
})
