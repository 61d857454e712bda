import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { appendFile, mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test, type TestContext } from 'node:test'
import {
  AutoModel,
  AutoProcessor,
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  RawImage,
  env,
  pipeline,
  type FeatureExtractionPipeline,
  type PreTrainedModel,
  type Tensor,
} from '@huggingface/transformers'
import * as ort from 'onnxruntime-node'
import {
  STAMP_FILE,
  TEST_MODELS,
  generateTestModels,
  modelDir,
  type BertTestModel,
} from '../../src/models/synthetic/index.ts'

const BERT_MODELS: readonly BertTestModel[] = [TEST_MODELS.minilmTiny, TEST_MODELS.bertTinyCls]
const SESSION = { dtype: 'fp32', session_options: { intraOpNumThreads: 1 } } as const

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-models-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** sha256 of every file under `dir`, keyed by relative path. */
async function hashTree(dir: string): Promise<Map<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  const hashes = new Map<string, string>()
  for (const e of entries.filter((x) => x.isFile())) {
    const path = join(e.parentPath, e.name)
    hashes.set(
      path.slice(dir.length),
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    )
  }
  return hashes
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0
  let na = 0
  let nb = 0
  a.forEach((x, i) => {
    const y = b[i] ?? 0
    dot += x * y
    na += x * x
    nb += y * y
  })
  return dot / Math.sqrt(na * nb)
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length)
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)))
  return max
}

/** Batch item `row` of a [b, s, h] tensor (either library's), first `tokens` positions, flattened. */
function tokenStates(
  t: { readonly dims: readonly number[]; readonly data: unknown },
  row: number,
  tokens: number,
): Float32Array {
  const [, seq = 0, hidden = 0] = t.dims
  const data = t.data as Float32Array
  return data.slice(row * seq * hidden, (row * seq + tokens) * hidden)
}

/** Loaded transformers.js models keep ORT sessions open: release them after the test. */
async function load<T extends PreTrainedModel>(t: TestContext, loading: Promise<T>): Promise<T> {
  const model = await loading
  t.after(() => model.dispose())
  return model
}

async function featureExtractor(t: TestContext, id: string): Promise<FeatureExtractionPipeline> {
  const fe = await pipeline('feature-extraction', id, SESSION)
  t.after(() => fe.dispose())
  return fe
}

let root = ''
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vectorize-models-'))
  await generateTestModels(root)
  env.allowRemoteModels = false
  env.localModelPath = root
})
after(() => rm(root, { recursive: true, force: true }))

test('generateTestModels should write byte-identical folders on every run', async (t) => {
  const [a, b] = [await tempDir(t), await tempDir(t)]
  await generateTestModels(a)
  await generateTestModels(b)
  const [hashesA, hashesB] = [await hashTree(a), await hashTree(b)]
  assert.ok(hashesA.size >= 25, `only ${hashesA.size} files`)
  assert.ok([...hashesA.keys()].some((p) => p.endsWith('onnx/vision_model.onnx')))
  assert.deepEqual(hashesA, hashesB)
})

test('generateTestModels should skip up-to-date folders and repair damaged ones', async (t) => {
  const dir = await tempDir(t)
  const first = await generateTestModels(dir)
  assert.deepEqual(new Set(first.map((m) => m.status)), new Set(['written']))
  const original = await hashTree(dir)

  const second = await generateTestModels(dir)
  assert.deepEqual(new Set(second.map((m) => m.status)), new Set(['unchanged']))

  const damaged = join(modelDir(dir, TEST_MODELS.minilmTiny.id), 'config.json')
  await appendFile(damaged, ' ')
  const third = await generateTestModels(dir)
  assert.deepEqual(
    third.map((m) => [m.id, m.status]),
    [
      [TEST_MODELS.minilmTiny.id, 'written'],
      [TEST_MODELS.bertTinyCls.id, 'unchanged'],
      [TEST_MODELS.clipTiny.id, 'unchanged'],
    ],
  )
  assert.deepEqual(await hashTree(dir), original)
  assert.ok(original.has(`/${TEST_MODELS.minilmTiny.id}/${STAMP_FILE}`))
})

test('TEST_MODELS should describe the generated configs', async () => {
  for (const model of Object.values(TEST_MODELS)) {
    const dir = modelDir(root, model.id)
    const config = await readJson(join(dir, 'config.json'))
    const tokenizer = await readJson(join(dir, 'tokenizer_config.json'))
    assert.equal(
      model.kind === 'bert' ? config.hidden_size : config.projection_dim,
      model.dimensions,
    )
    assert.equal(tokenizer.model_max_length, model.maxTokens)
  }
})

for (const model of BERT_MODELS) {
  test(`${model.id} should load in transformers.js and yield [batch, seq, ${model.dimensions}] states`, async (t) => {
    const tokenizer = await AutoTokenizer.from_pretrained(model.id)
    const encoder = await load(t, AutoModel.from_pretrained(model.id, SESSION))
    const inputs = tokenizer(['The ocean waves crashed.', 'Hello world'], { padding: true })
    const { last_hidden_state } = (await encoder(inputs)) as { last_hidden_state: Tensor }
    assert.deepEqual(last_hidden_state.dims, [2, 8, model.dimensions])

    const fe = await featureExtractor(t, model.id)
    const pooled = await fe(['first text', 'second one'], {
      pooling: model.pooling,
      normalize: true,
    })
    assert.deepEqual(pooled.dims, [2, model.dimensions])
  })
}

test('the WordPiece tokenizer should split common words into known pieces between [CLS] and [SEP]', async () => {
  const tokenizer = await AutoTokenizer.from_pretrained(TEST_MODELS.minilmTiny.id)
  const pieces = ['[CLS]', 'the', 'ocean', 'waves', 'crash', '##ed', '.', '[SEP]']
  const ids = tokenizer('The ocean waves crashed.').input_ids.tolist() as bigint[][]
  assert.deepEqual(ids[0]?.map(Number), tokenizer.convert_tokens_to_ids(pieces))

  const everyday = 'My doctor recommends healthy recipes, football and music for the weekend!'
  assert.ok(!tokenizer.tokenize(everyday).includes('[UNK]'), tokenizer.tokenize(everyday).join(' '))
})

for (const model of BERT_MODELS) {
  test(`${model.id} should give real tokens the same states whether padded or not`, async (t) => {
    const fe = await featureExtractor(t, model.id)
    const short = 'A cat sat.'
    const long =
      'The quick brown fox jumps over the lazy dog while an orchestra plays music in the park.'
    const alone = await fe(short)
    const batched = await fe([short, long])
    const tokens = alone.dims[1] ?? 0
    assert.ok((batched.dims[1] ?? 0) > tokens + 10, 'the short text must be padded')
    const diff = maxAbsDiff(tokenStates(alone, 0, tokens), tokenStates(batched, 0, tokens))
    assert.ok(diff < 1e-5, `padding changed real tokens by ${diff}`)
  })
}

test('minilm-tiny should run directly in onnxruntime-node like in transformers.js, and need its mask', async (t) => {
  const { id } = TEST_MODELS.minilmTiny
  const tokenizer = await AutoTokenizer.from_pretrained(id)
  const encoder = await load(t, AutoModel.from_pretrained(id, SESSION))
  const inputs = tokenizer(['A cat sat.', 'Music fills the concert hall tonight.'], {
    padding: true,
  })
  const viaTransformers = ((await encoder(inputs)) as { last_hidden_state: Tensor })
    .last_hidden_state

  const path = join(modelDir(root, id), 'onnx', 'model.onnx')
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1 })
  t.after(() => session.release())
  const int64 = (x: Tensor): ort.Tensor => new ort.Tensor('int64', x.data as BigInt64Array, x.dims)
  const feed = (mask: Tensor): Record<string, ort.Tensor> => ({
    input_ids: int64(inputs.input_ids),
    attention_mask: int64(mask),
    token_type_ids: int64(inputs.token_type_ids!),
  })
  const states = async (mask: Tensor): Promise<ort.Tensor> => {
    const { last_hidden_state } = await session.run(feed(mask))
    assert.ok(last_hidden_state instanceof ort.Tensor)
    return last_hidden_state
  }
  const direct = await states(inputs.attention_mask)
  assert.deepEqual(direct.dims, viaTransformers.dims)
  assert.ok(maxAbsDiff(direct.data as Float32Array, viaTransformers.data as Float32Array) < 1e-5)

  // Without the mask, padding would leak into the short text: the masking test above has teeth.
  const ones = inputs.attention_mask.clone()
  ;(ones.data as BigInt64Array).fill(1n)
  const unmasked = await states(ones)
  const realTokens = Number(inputs.attention_mask.sum(1).tolist()[0])
  assert.ok(
    maxAbsDiff(tokenStates(unmasked, 0, realTokens), tokenStates(direct, 0, realTokens)) > 1e-3,
  )
})

test('minilm-tiny should place texts that share words closer than unrelated texts', async (t) => {
  const fe = await featureExtractor(t, TEST_MODELS.minilmTiny.id)
  const texts = [
    'Ocean waves crash on the beach.',
    'The waves of the ocean were huge today.',
    'The stock market fell as investors sold shares.',
    'Investors watch the stock market closely.',
  ]
  const v = (await fe(texts, { pooling: 'mean', normalize: true })).tolist() as number[][]
  const [ocean1 = [], ocean2 = [], market1 = [], market2 = []] = v
  assert.ok(cosine(ocean1, ocean2) > cosine(ocean1, market1) + 0.2)
  assert.ok(cosine(market1, market2) > cosine(market1, ocean2) + 0.2)
})

/** A solid-colour RGB image, not square, so the processor's resize and centre crop both run. */
function solidImage(rgb: readonly [number, number, number]): RawImage {
  const [width, height] = [64, 48]
  const data = new Uint8ClampedArray(width * height * 3)
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3)
  return new RawImage(data, width, height, 3)
}

test('clip-tiny should put each colour caption nearest the image of that colour', async (t) => {
  const { id, dimensions } = TEST_MODELS.clipTiny
  const tokenizer = await AutoTokenizer.from_pretrained(id)
  const processor = await AutoProcessor.from_pretrained(id)
  const textModel = await load(t, CLIPTextModelWithProjection.from_pretrained(id, SESSION))
  const visionModel = await load(t, CLIPVisionModelWithProjection.from_pretrained(id, SESSION))

  const colors = {
    red: [255, 0, 0],
    green: [0, 255, 0],
    blue: [0, 0, 255],
    yellow: [255, 255, 0],
  } as const
  const names = Object.keys(colors)
  const captions = names.map((name) => `a ${name} square`)
  const textInputs = tokenizer(captions, { padding: true, truncation: true })
  const { text_embeds } = (await textModel(textInputs)) as { text_embeds: Tensor }
  const { pixel_values } = (await processor(Object.values(colors).map(solidImage))) as {
    pixel_values: Tensor
  }
  assert.deepEqual(pixel_values.dims, [4, 3, 32, 32])
  const { image_embeds } = (await visionModel({ pixel_values })) as { image_embeds: Tensor }
  assert.deepEqual(
    [text_embeds.dims, image_embeds.dims],
    [
      [4, dimensions],
      [4, dimensions],
    ],
  )

  const texts = text_embeds.tolist() as number[][]
  const images = image_embeds.tolist() as number[][]
  texts.forEach((text, i) => {
    const scores = images.map((image) => cosine(text, image))
    assert.equal(
      names[scores.indexOf(Math.max(...scores))],
      names[i],
      `${captions[i]}: ${scores.join(', ')}`,
    )
  })
})

test('clip-tiny should embed a caption the same alone or padded in a batch', async (t) => {
  const { id, dimensions } = TEST_MODELS.clipTiny
  const tokenizer = await AutoTokenizer.from_pretrained(id)
  const textModel = await load(t, CLIPTextModelWithProjection.from_pretrained(id, SESSION))
  const caption = 'a red square'
  const long = 'a photo of a small blue square on a wooden table in the morning'
  const single = tokenizer(caption)
  const batch = tokenizer([caption, long], { padding: true, truncation: true })
  assert.ok(
    (batch.input_ids.dims[1] ?? 0) > (single.input_ids.dims[1] ?? 0) + 5,
    'the caption must be padded',
  )
  const embed = async (inputs: unknown): Promise<Float32Array> =>
    ((await textModel(inputs)) as { text_embeds: Tensor }).text_embeds.data as Float32Array
  const diff = maxAbsDiff(await embed(single), (await embed(batch)).slice(0, dimensions))
  assert.ok(diff < 1e-5, `padding moved the caption by ${diff}`)
})

test('clip-tiny should yield image embeddings from the image-feature-extraction pipeline', async (t) => {
  const { id, dimensions } = TEST_MODELS.clipTiny
  const extractor = await pipeline('image-feature-extraction', id, SESSION)
  t.after(() => extractor.dispose())
  const embeds = await extractor([solidImage([255, 0, 0]), solidImage([0, 0, 255])])
  assert.deepEqual(embeds.dims, [2, dimensions])
})
