import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { AutoTokenizer } from '@huggingface/transformers'
import * as ort from 'onnxruntime-node'
import { TransformersModels } from '../../src/models/transformers.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { VectorizeError } from '../../src/worker/errors.ts'
import { modelOptions, testModels } from '../helpers/models.ts'
import { modelContract } from './contract.ts'

const signal = new AbortController().signal
const texts = [
  'The ocean waves crashed on the rocks.',
  'Tides',
  'A recipe for fresh bread needs flour, water, salt and yeast, plus time for the dough to rise slowly.',
  'Planets orbit the sun.',
]

/** The independent reference: the ONNX graph run directly, one text at a time, pooled by hand. */
async function reference(
  modelDir: string,
  text: string,
  pooling: 'mean' | 'cls',
  maxTokens = Infinity,
): Promise<Float32Array> {
  const tokenizer = await AutoTokenizer.from_pretrained(modelDir)
  let ids = (tokenizer(text, { return_tensor: false }) as { input_ids: number[] }).input_ids
  if (ids.length > maxTokens) ids = [...ids.slice(0, maxTokens - 1), ids.at(-1)!]
  const session = await ort.InferenceSession.create(join(modelDir, 'onnx', 'model.onnx'))
  const n = ids.length
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, n]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(n), [1, n]),
  }
  const out = await session.run(feeds)
  await session.release()
  const states = out.last_hidden_state!.data as Float32Array
  const hidden = states.length / n
  const v = new Float32Array(hidden)
  const rows = pooling === 'cls' ? 1 : n
  for (let t = 0; t < rows; t++)
    for (let h = 0; h < hidden; h++) v[h]! += states[t * hidden + h]! / rows
  const norm = Math.hypot(...v)
  return v.map((x) => x / norm)
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length)
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]!)))
}

describe('TransformersModels', () => {
  let dir: string
  let models: TransformersModels

  before(async () => {
    dir = await testModels()
    models = new TransformersModels(modelOptions(), { logger: silentLogger })
  })
  after(() => models.close())

  it('should give pooled, normalised vectors equal to the ONNX Runtime reference within 1e-5', async () => {
    const embedder = await models.get(undefined, { signal })
    assert.equal(embedder.info.identity, 'vectorize-test/minilm-tiny@fp32')
    assert.equal(embedder.info.dimensions, 64)
    const got = await embedder.embed(texts, { signal })
    for (const [i, text] of texts.entries()) {
      const want = await reference(join(dir, 'vectorize-test/minilm-tiny'), text, 'mean')
      assert.ok(
        maxDiff(got[i]!.vector, want) < 1e-5,
        `text ${i} differs by ${maxDiff(got[i]!.vector, want)}`,
      )
    }
  })

  it('should pool with CLS for a plain encoder configured that way', async () => {
    const cls = new TransformersModels(
      modelOptions({ pooling: 'cls', default: 'vectorize-test/bert-tiny-cls' }),
      { logger: silentLogger },
    )
    try {
      const embedder = await cls.get(undefined, { signal })
      assert.equal(embedder.info.pooling, 'cls')
      const [got] = await embedder.embed([texts[2]!], { signal })
      const want = await reference(join(dir, 'vectorize-test/bert-tiny-cls'), texts[2]!, 'cls')
      assert.ok(maxDiff(got!.vector, want) < 1e-5)
    } finally {
      await cls.close()
    }
  })

  it('should give the same vector whether a text is embedded alone or among other tasks', async () => {
    const embedder = await models.get(undefined, { signal })
    const [alone] = await embedder.embed([texts[1]!], { signal })
    const together = await Promise.all(texts.map((t) => embedder.embed([t], { signal })))
    assert.ok(maxDiff(alone!.vector, together[1]![0]!.vector) < 1e-5)
  })

  it('should tell a queued request when the batch holding its texts starts, before it answers', async () => {
    // the worker stops a task's timeout clock from `waiting` to `running` (issue 11)
    const embedder = await models.get(undefined, { signal })
    const events: string[] = []
    const queue = {
      waiting: () => void events.push('waiting'),
      running: () => void events.push('running'),
    }
    const embedded = Promise.all(
      ['first', 'second'].map((id) =>
        embedder
          .embed([`${id}: ${texts[2]}`], { signal, queue })
          .then(() => events.push(`answered ${id}`)),
      ),
    )
    await embedded
    assert.deepEqual(events.slice(0, 2), ['waiting', 'waiting'])
    assert.equal(events.filter((e) => e === 'running').length, 2, events.join(', '))
    for (const id of ['first', 'second'])
      assert.ok(events.indexOf(`answered ${id}`) > events.indexOf('running'), events.join(', '))
  })

  it('should truncate long inputs, keep the closing token and report input_tokens', async () => {
    const embedder = await models.get(undefined, { signal })
    const long = Array.from({ length: 300 }, (_, i) => ['ocean', 'music', 'planet'][i % 3]).join(
      ' ',
    )
    const [short, cut] = await embedder.embed(['ocean music', long], { signal })
    assert.equal(short!.truncated, false)
    assert.equal(short!.inputTokens, 4)
    assert.equal(cut!.truncated, true)
    assert.equal(cut!.inputTokens, 302)
    const want = await reference(
      join(dir, 'vectorize-test/minilm-tiny'),
      long,
      'mean',
      embedder.info.maxTokens,
    )
    assert.ok(maxDiff(cut!.vector, want) < 1e-5)
  })

  it('should name every path it tried when a model is missing', async () => {
    const err = await models.get('acme/not-a-model', { signal }).then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    )
    assert.ok(err instanceof VectorizeError)
    assert.equal(err.code, 'unknown_model')
    assert.match(err.message, /acme\/not-a-model/)
    assert.match(
      err.message,
      new RegExp(join(dir, 'acme', 'not-a-model', 'onnx', 'model.onnx').replace(/[/.]/g, '\\$&')),
    )
    assert.match(err.message, /models\.allow_remote: false.*models pull.*models import/)
    const missingDefault = new TransformersModels(
      modelOptions({ default: 'sentence-transformers/all-MiniLM-L6-v2' }),
      { logger: silentLogger },
    )
    const err2 = await missingDefault.get(undefined, { signal }).catch((e: unknown) => e)
    await missingDefault.close()
    assert.ok(err2 instanceof VectorizeError && err2.code === 'model_not_found')
    assert.match(
      err2.message,
      /Xenova\/all-MiniLM-L6-v2\/onnx\/model\.onnx.*sentence-transformers\/all-MiniLM-L6-v2\/onnx\/model\.onnx/,
    )
  })

  it('should evict the least recently used model beyond max_loaded', async () => {
    const small = new TransformersModels(modelOptions({ max_loaded: 1 }), { logger: silentLogger })
    try {
      await small.get('vectorize-test/minilm-tiny', { signal })
      const cls = await small.get('vectorize-test/bert-tiny-cls', { signal })
      assert.deepEqual(
        small.loaded().map((m) => m.name),
        ['vectorize-test/bert-tiny-cls'],
      )
      assert.equal((await cls.embed(['still works'], { signal })).length, 1)
      const again = await small.get('vectorize-test/minilm-tiny', { signal })
      assert.equal((await again.embed(['reloaded'], { signal }))[0]!.vector.length, 64)
    } finally {
      await small.close()
    }
  })

  it('should keep the main thread responsive while a long batch is embedded', async () => {
    const embedder = await models.get(undefined, { signal })
    const words = ['ocean', 'planet', 'music', 'garden', 'market', 'coffee', 'engine', 'river']
    const text = (i: number) =>
      Array.from({ length: 110 }, (_, j) => words[(i * 7 + j) % 8]).join(' ')
    // How busy the main thread's event loop was while batches were embedded (tokenising and
    // inference run on the inference thread: src/models/pool.ts), not a wall-clock bound: a loaded
    // machine slows the inference thread and leaves the main loop idler, not busier. With the
    // work on the main thread its loop would be busy nearly all the time.
    const before = performance.eventLoopUtilization()
    for (let batch = 0; batch < 3; batch++) {
      await embedder.embed(
        Array.from({ length: 400 }, (_, i) => text(i + batch)),
        { signal },
      )
    }
    const { utilization } = performance.eventLoopUtilization(before)
    assert.ok(
      utilization < 0.5,
      `the main thread was busy ${(utilization * 100).toFixed(0)}% of the time`,
    )
  })
})

modelContract('TransformersModels', async () => {
  await testModels()
  const models = new TransformersModels(modelOptions(), { logger: silentLogger })
  return { models, cleanup: () => models.close() }
})
