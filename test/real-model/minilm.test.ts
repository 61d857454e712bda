/**
 * all-MiniLM-L6-v2, imported by `vectorize models import` from the PyPI package, against the
 * vectors sentence-transformers 6.3 produced for the 497 shared reference texts: through the real
 * CLI (`submit`, `worker --exit-when-idle`, `search`), for text, batch and document tasks.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { before, describe, it } from 'node:test'
import type { ResultMessage } from '../../src/protocol/report.ts'
import type { SearchHit } from '../../src/stores/store.ts'
import { createWorkspace, describeRun, suiteCleanup, type Workspace } from '../helpers/cli.ts'
import { repoRoot } from '../helpers/models.ts'
import {
  MINILM,
  cosine,
  missingModel,
  sharedReference,
  skipUnless,
  summary,
  workerEnv,
  type Reference,
} from './real-models.ts'
import { BATCH_SIZE, corpusTasks, referenceTasks, resultsOf, storedVectors } from './tasks.ts'

const MIN_COSINE = 0.99999
const reference = sharedReference()
const skip = skipUnless(
  'all-MiniLM-L6-v2',
  missingModel(MINILM) ?? (typeof reference === 'string' ? reference : undefined),
)

describe('all-MiniLM-L6-v2 through the CLI and worker', { skip }, () => {
  const cleanup = suiteCleanup()
  const ref = reference as Reference
  let ws: Workspace
  let env: Record<string, string>
  let results: Map<string, ResultMessage>

  before(async () => {
    ws = await createWorkspace(cleanup)
    env = workerEnv(MINILM)
    const corpus = await corpusTasks(join(repoRoot(), 'samples', 'corpus.jsonl'))
    const file = join(ws.dir, 'tasks.jsonl')
    const tasks = [...referenceTasks(ref.texts.map((t) => t.text)), ...corpus]
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

  /** min/median cosine of the stored vectors (`prefix<i>`) against the reference. */
  async function parity(collection: string, prefix: string) {
    const stored = await storedVectors(ws.lancedbPath, collection)
    const d = ref.dimensions
    const cosines = ref.texts.map((_, i) => {
      const vector = stored.get(`${prefix}${i}`)
      assert.ok(vector, `${collection}: no vector stored for text ${i}`)
      return cosine(vector, ref.vectors.subarray(i * d, (i + 1) * d))
    })
    const worst = cosines.indexOf(Math.min(...cosines))
    return { ...summary(cosines), worst }
  }

  for (const [path, collection, prefix] of [
    ['text', 'ref_text', 't-'],
    ['batch', 'ref_batch', 'b-'],
    ['document', 'ref_document', 'd-'],
  ] as const) {
    it(`${path} tasks should give sentence-transformers' vectors (min cosine ≥ ${MIN_COSINE})`, async (t) => {
      const { min, median, worst } = await parity(collection, prefix)
      t.diagnostic(
        `${path}: min cosine ${min.toFixed(9)} (1 − min = ${(1 - min).toExponential(1)}), median ${median.toFixed(9)} (497 texts)`,
      )
      assert.ok(
        min >= MIN_COSINE,
        `min cosine ${min} at text ${worst}: ${ref.texts[worst]!.text.slice(0, 80)}`,
      )
    })
  }

  it('text tasks should report each text’s input_tokens and truncation', () => {
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

  it('batch and document tasks should report the truncated items with their input_tokens', () => {
    const truncated = (prefix: string) =>
      ref.texts.flatMap((t, i) =>
        t.truncated ? [{ id: `${prefix}${i}`, input_tokens: t.input_tokens }] : [],
      )
    const batchReports = [...results.entries()]
      .filter(([id]) => id.startsWith('batch-'))
      .flatMap(([, r]) => r.truncated.map(({ id, input_tokens }) => ({ id, input_tokens })))
    const documentReports = [...results.entries()]
      .filter(([id]) => id.startsWith('document-'))
      .flatMap(([, r]) => r.truncated.map(({ id, input_tokens }) => ({ id, input_tokens })))
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id)
    assert.deepEqual(batchReports.sort(byId), truncated('b-').sort(byId))
    assert.deepEqual(documentReports.sort(byId), truncated('d-').sort(byId))
    assert.equal(
      [...results.keys()].filter((id) => id.startsWith('batch-')).length,
      Math.ceil(ref.texts.length / BATCH_SIZE),
    )
  })

  // Queries worded unlike the passage they should find: what a person would expect from meaning.
  const queries: readonly [string, string][] = [
    ['why is seawater salty', 'ocean-006'],
    ['how long does sunlight take to get to our planet', 'space-002'],
    ['how many people play on each soccer side', 'football-002'],
    ['how much rest do grown-ups need every night', 'health-002'],
    ['how do bees tell each other where flowers are', 'animals-003'],
  ]
  for (const [query, expected] of queries) {
    it(`search should find ${expected} for "${query}"`, async () => {
      const hits = await ws.json<SearchHit[]>(
        ['search', query, '--collection', 'samples', '-k', '3'],
        {
          env,
        },
      )
      const ids = hits.map((h) => h.documentId)
      assert.ok(ids.includes(expected), `top 3 for "${query}": ${ids.join(', ')}`)
    })
  }
})
