import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { ModelEvents } from '../../src/models/embedder.ts'
import { TransformersModels } from '../../src/models/transformers.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { modelOptions, testModels } from '../helpers/models.ts'

type Batch = Parameters<ModelEvents['batch']>[0]

describe('TransformersModels at run time', () => {
  const batches: Batch[] = []
  const loads: string[] = []
  let models: TransformersModels

  before(async () => {
    await testModels()
    const events: ModelEvents = {
      loaded: (info) => void loads.push(info.identity),
      unloaded: () => undefined,
      batch: (event) => void batches.push(event),
    }
    models = new TransformersModels(modelOptions({ maxBatchTokens: 4096 }), {
      logger: silentLogger,
      events,
    })
  })
  after(() => models.close())

  const texts = Array.from({ length: 48 }, (_, i) => `sentence number ${i} about harbours`)

  it('should report each inference batch, and apply a new batch token budget to the next ones', async () => {
    const signal = AbortSignal.timeout(60_000)
    const embedder = await models.get(undefined, { signal })
    assert.deepEqual(loads, ['vectorize-test/minilm-tiny@fp32'])
    assert.equal(models.isLoaded(), true)

    await embedder.embed(texts, { signal })
    const wide = batches.splice(0)
    assert.equal(
      wide.reduce((n, b) => n + b.items, 0),
      texts.length,
    )
    assert.ok(wide.every((b) => b.tokens <= 4096 && b.model === 'vectorize-test/minilm-tiny@fp32'))

    await models.setMaxBatchTokens(64)
    await embedder.embed(texts, { signal })
    const narrow = batches.splice(0)
    assert.equal(
      narrow.reduce((n, b) => n + b.items, 0),
      texts.length,
    )
    assert.ok(
      narrow.every((b) => b.tokens <= 64),
      JSON.stringify(narrow.map((b) => b.tokens)),
    )
    assert.ok(
      narrow.length > wide.length,
      `${narrow.length} batches at 64 tokens, ${wide.length} at 4096`,
    )
    assert.equal(models.activity.pending, 0)
  })
})
