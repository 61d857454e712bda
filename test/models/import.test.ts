/**
 * `vectorize models import` without downloads: a checkpoint written here from a generated model's
 * own weights (as PyTorch stores them: Linear weights [out, in], safetensors) must import into a
 * folder that loads and embeds exactly like the generated model; malformed or unsupported folders
 * fail naming what is wrong. The real models' parity is test/real-model's job.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import onnxProto from 'onnx-proto'
import { importModel } from '../../src/models/import/index.ts'
import { relativeBucket } from '../../src/models/import/mpnet.ts'
import { TransformersModels } from '../../src/models/transformers.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import type { VectorizeError } from '../../src/worker/errors.ts'
import { MODELS_DIR, modelOptions, testModels } from '../helpers/models.ts'

const signal = new AbortController().signal
const SOURCE = join(MODELS_DIR, 'vectorize-test', 'minilm-tiny')
const COPIED = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'modules.json',
  '1_Pooling/config.json',
  'sentence_bert_config.json',
]

/** HF's MPNet buckets for relative positions -140..140, as torch 2.15 computes them. */
const TORCH_BUCKETS = [
  15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,
  15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,
  15, 15, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14,
  14, 14, 14, 14, 14, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 12,
  12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 11, 11, 11, 11, 11, 11, 11, 11, 11, 10, 10,
  10, 10, 10, 10, 10, 9, 9, 9, 9, 8, 8, 8, 8, 7, 6, 5, 4, 3, 2, 1, 0, 17, 18, 19, 20, 21, 22, 23,
  24, 24, 24, 24, 25, 25, 25, 25, 26, 26, 26, 26, 26, 26, 26, 27, 27, 27, 27, 27, 27, 27, 27, 27,
  28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29,
  29, 29, 29, 29, 29, 29, 29, 29, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
  30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31,
  31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31,
  31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31,
]

interface Tensor {
  readonly dtype: 'F32' | 'I64'
  readonly shape: readonly number[]
  readonly data: Uint8Array
}

/** A safetensors file: 8-byte header length, JSON header, data. */
function safetensors(tensors: Record<string, Tensor>): Buffer {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } }
  let offset = 0
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = {
      dtype: t.dtype,
      shape: t.shape,
      data_offsets: [offset, offset + t.data.length],
    }
    offset += t.data.length
  }
  const json = Buffer.from(
    JSON.stringify(header).padEnd(Math.ceil(JSON.stringify(header).length / 8) * 8),
  )
  const length = Buffer.alloc(8)
  length.writeBigUInt64LE(BigInt(json.length))
  return Buffer.concat([length, json, ...Object.values(tensors).map((t) => Buffer.from(t.data))])
}

/** The generated model's weights as a PyTorch checkpoint would hold them. */
async function checkpointOf(onnxFile: string): Promise<Record<string, Tensor>> {
  const model = onnxProto.onnx.ModelProto.decode(await readFile(onnxFile))
  const tensors: Record<string, Tensor> = {}
  for (const init of model.graph!.initializer!) {
    const name = init.name!
    if (name.startsWith('const_')) continue
    const dims = init.dims!.map(Number)
    let data = new Float32Array(new Uint8Array(init.rawData!).slice().buffer)
    let shape = dims
    if (dims.length === 2 && !name.startsWith('embeddings.')) {
      shape = [dims[1]!, dims[0]!] // MatMul's [in, out] back to Linear's [out, in]
      const t = new Float32Array(data.length)
      for (let i = 0; i < dims[0]!; i++)
        for (let o = 0; o < dims[1]!; o++) t[o * dims[0]! + i] = data[i * dims[1]! + o]!
      data = t
    }
    tensors[name] = { dtype: 'F32', shape, data: new Uint8Array(data.buffer) }
  }
  // what a real save also holds and an encoder graph does not need
  tensors['embeddings.position_ids'] = { dtype: 'I64', shape: [1, 4], data: new Uint8Array(32) }
  tensors['pooler.dense.bias'] = { dtype: 'F32', shape: [2], data: new Uint8Array(8) }
  return tensors
}

async function sourceFolder(dir: string, tensors: Record<string, Tensor>): Promise<string> {
  for (const file of COPIED) {
    await mkdir(join(dir, file, '..'), { recursive: true })
    await copyFile(join(SOURCE, file), join(dir, file))
  }
  await writeFile(join(dir, 'model.safetensors'), safetensors(tensors))
  return dir
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!
    na += a[i]! * a[i]!
    nb += b[i]! * b[i]!
  }
  return dot / Math.sqrt(na * nb)
}

describe('models import', () => {
  let work: string
  let tensors: Record<string, Tensor>

  before(async () => {
    await testModels()
    work = await mkdtemp(join(tmpdir(), 'vectorize-import-'))
    tensors = await checkpointOf(join(SOURCE, 'onnx', 'model.onnx'))
  })
  after(() => rm(work, { recursive: true, force: true }))

  it('should import a BERT checkpoint that embeds like the model it came from', async () => {
    const src = await sourceFolder(join(work, 'src-bert'), tensors)
    const modelsDir = join(work, 'models')
    const first = await importModel(src, {
      modelsDir,
      name: 'imported/minilm-tiny',
      dtypes: ['fp32', 'q8'],
    })
    assert.equal(first.status, 'written')
    assert.equal(first.modelType, 'bert')
    const paths = first.files.map((f) => f.path)
    for (const f of [
      'onnx/model.onnx',
      'onnx/model_quantized.onnx',
      'tokenizer.json',
      '1_Pooling/config.json',
    ])
      assert.ok(paths.includes(f), `${f} written (${paths.join(', ')})`)
    const again = await importModel(src, {
      modelsDir,
      name: 'imported/minilm-tiny',
      dtypes: ['fp32'],
    })
    assert.equal(again.status, 'unchanged')

    const texts = ['The ocean waves crashed on the rocks.', 'Planets orbit the sun.', 'Tides']
    const embed = async (name: string, dtype: 'fp32' | 'q8') => {
      const models = new TransformersModels(
        modelOptions({ dir: modelsDir, cache_dir: MODELS_DIR, dtype }),
        { logger: silentLogger },
      )
      try {
        const embedder = await models.get(name, { signal })
        return (await embedder.embed(texts, { signal })).map((e) => e.vector)
      } finally {
        await models.close()
      }
    }
    const original = await embed('vectorize-test/minilm-tiny', 'fp32')
    const imported = await embed('imported/minilm-tiny', 'fp32')
    const quantized = await embed('imported/minilm-tiny', 'q8')
    texts.forEach((text, i) => {
      assert.ok(cosine(original[i]!, imported[i]!) > 0.999999, `fp32 "${text}"`)
      assert.ok(cosine(original[i]!, quantized[i]!) > 0.9, `q8 "${text}"`)
    })
  })

  it('should drop the files of an earlier import from other weights', async () => {
    const modelsDir = join(work, 'models-stale')
    const first = await sourceFolder(join(work, 'src-v1'), tensors)
    await importModel(first, { modelsDir, name: 'stale', dtypes: ['fp32', 'q8'] })
    const bias = tensors['embeddings.LayerNorm.bias']!
    const changed = {
      ...tensors,
      'embeddings.LayerNorm.bias': {
        ...bias,
        data: new Uint8Array(new Float32Array(bias.data.length / 4).fill(0.5).buffer),
      },
    }
    const second = await sourceFolder(join(work, 'src-v2'), changed)
    const result = await importModel(second, { modelsDir, name: 'stale', dtypes: ['fp32'] })
    assert.equal(result.status, 'written')
    assert.ok(!result.files.some((f) => f.path === 'onnx/model_quantized.onnx'))
    assert.equal(existsSync(join(modelsDir, 'stale', 'onnx', 'model_quantized.onnx')), false)
  })

  it('should name the missing file, the unsupported model type and an extra module', async () => {
    const src = await sourceFolder(join(work, 'src-bad'), tensors)
    const attempt = (dir = src) =>
      importModel(dir, { modelsDir: join(work, 'bad-out'), name: 'bad', dtypes: ['fp32'] }).then(
        () => assert.fail('imported'),
        (err: unknown) => err as VectorizeError,
      )
    const config = JSON.parse(await readFile(join(src, 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >
    await writeFile(join(src, 'config.json'), JSON.stringify({ ...config, model_type: 'gpt2' }))
    let err = await attempt()
    assert.equal(err.code, 'invalid_argument')
    assert.match(err.message, /model_type "gpt2" cannot be imported \(supported: bert, mpnet\)/)
    await writeFile(join(src, 'config.json'), JSON.stringify(config))

    const modules = JSON.parse(await readFile(join(src, 'modules.json'), 'utf8')) as unknown[]
    const dense = { idx: 3, name: '3', path: '3_Dense', type: 'sentence_transformers.models.Dense' }
    await writeFile(join(src, 'modules.json'), JSON.stringify([...modules, dense]))
    err = await attempt()
    assert.match(err.message, /modules\.json lists a sentence_transformers\.models\.Dense module/)
    await writeFile(join(src, 'modules.json'), JSON.stringify(modules))

    await rm(join(src, 'model.safetensors'))
    err = await attempt()
    assert.equal(err.code, 'not_found')
    assert.match(err.message, /model\.safetensors is missing/)
  })

  it('should reject a safetensors file whose tensor runs past its end, naming the tensor', async () => {
    const bytes = safetensors(tensors)
    const src = await sourceFolder(join(work, 'src-cut'), tensors)
    await writeFile(join(src, 'model.safetensors'), bytes.subarray(0, bytes.length - 100))
    const err = await importModel(src, {
      modelsDir: join(work, 'cut-out'),
      name: 'cut',
      dtypes: ['fp32'],
    }).then(
      () => assert.fail('imported'),
      (e: unknown) => e as VectorizeError,
    )
    assert.equal(err.code, 'invalid_argument')
    assert.match(err.message, /model\.safetensors gives \S+ the byte range/)
  })

  it('should bucket MPNet relative positions exactly as torch does', () => {
    const ours = TORCH_BUCKETS.map((_, i) => relativeBucket(i - 140))
    assert.deepEqual(ours, TORCH_BUCKETS)
  })
})
