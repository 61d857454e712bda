/**
 * models.max_memory_bytes on generated models of different sizes: a model's footprint is its ONNX
 * file plus its tokenizer; loading past the budget evicts the least recently used models, and a
 * model bigger than the whole budget fails with a clear error instead of loading.
 */
import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { before, describe, it } from 'node:test'
import { TransformersModels } from '../../src/models/transformers.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { VectorizeError } from '../../src/worker/errors.ts'
import { MODELS_DIR, modelOptions, testModels } from '../helpers/models.ts'

const signal = new AbortController().signal
const MINILM = 'vectorize-test/minilm-tiny'
const CLS = 'vectorize-test/bert-tiny-cls'

function footprint(id: string): number {
  const dir = join(MODELS_DIR, ...id.split('/'))
  return ['onnx/model.onnx', 'tokenizer.json'].reduce((n, f) => n + statSync(join(dir, f)).size, 0)
}

async function withModels(
  budget: number,
  fn: (models: TransformersModels) => Promise<void>,
): Promise<void> {
  const models = new TransformersModels(modelOptions({ max_loaded: 3, max_memory_bytes: budget }), {
    logger: silentLogger,
  })
  try {
    await fn(models)
  } finally {
    await models.close()
  }
}

describe('models.max_memory_bytes', () => {
  let small: number
  let large: number

  before(async () => {
    await testModels()
    small = footprint(CLS)
    large = footprint(MINILM)
    assert.ok(large > small, `the test needs models of different sizes (${large} vs ${small})`)
  })

  it('should keep both models loaded when the budget holds them', async () => {
    await withModels(small + large, async (models) => {
      await models.get(MINILM, { signal })
      await models.get(CLS, { signal })
      assert.deepEqual(
        models
          .loaded()
          .map((m) => m.name)
          .sort(),
        [CLS, MINILM],
      )
    })
  })

  it('should evict the least recently used model to fit the next one', async () => {
    await withModels(small + large - 1, async (models) => {
      await models.get(MINILM, { signal })
      const cls = await models.get(CLS, { signal })
      assert.deepEqual(
        models.loaded().map((m) => m.name),
        [CLS],
      )
      assert.equal((await cls.embed(['still works'], { signal })).length, 1)
      const again = await models.get(MINILM, { signal })
      assert.equal((await again.embed(['reloaded'], { signal })).length, 1)
      assert.deepEqual(
        models.loaded().map((m) => m.name),
        [MINILM],
      )
    })
  })

  it('should refuse a model larger than the whole budget, naming the sizes', async () => {
    await withModels(large - 1, async (models) => {
      const err = await models.get(MINILM, { signal }).then(
        () => assert.fail('a model over the budget loaded'),
        (e: unknown) => e,
      )
      assert.ok(err instanceof VectorizeError)
      assert.equal(err.code, 'model_load_failed')
      assert.match(
        err.message,
        new RegExp(`needs ${large} bytes.*max_memory_bytes \\(${large - 1}\\)`),
      )
      // the smaller model still fits
      await models.get(CLS, { signal })
      assert.deepEqual(
        models.loaded().map((m) => m.name),
        [CLS],
      )
    })
  })
})
