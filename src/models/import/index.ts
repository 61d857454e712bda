/**
 * `vectorize models import`: turns a sentence-transformers folder (safetensors weights) into the
 * folder `models.dir` serves, in the layout transformers.js reads — config.json, the tokenizer
 * files, `onnx/model.onnx` (fp32) and `onnx/model_quantized.onnx` (q8) — without Python or torch.
 * The graphs are built by our own ONNX builder from the checkpoint's tensors (bert.ts, mpnet.ts).
 */
import { readFileSync, statSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { VectorizeError } from '../../worker/errors.ts'
import { onnxFile } from '../locate.ts'
import { GraphBuilder } from '../onnx/builder.ts'
import { quantizeMatMuls } from '../onnx/quantize.ts'
import { encoderIgnorable, buildBert } from './bert.ts'
import { CheckpointParams } from './checkpoint.ts'
import type { EncoderConfig } from './config.ts'
import { readSourceFolder, type SourceFolder } from './folder.ts'
import { buildMpnet } from './mpnet.ts'
import { SafeTensors } from './safetensors.ts'
import { readStamp, sha256, sha256File, stampHolds, writeAtomic, writeStamp } from './write.ts'

/** Bump whenever the graphs or files written change, so earlier imports are redone. */
export const IMPORTER_VERSION = '1'

export const importDtypes = ['fp32', 'q8'] as const
export type ImportDtype = (typeof importDtypes)[number]

interface Architecture {
  readonly build: (w: CheckpointParams, c: EncoderConfig) => void
  /** Where a task-head save nests the encoder (`bert.` in BertForMaskedLM). */
  readonly prefixes: readonly string[]
}

const architectures: Record<string, Architecture> = {
  bert: { build: buildBert, prefixes: ['bert.'] },
  mpnet: { build: buildMpnet, prefixes: ['mpnet.'] },
}

export interface ImportOptions {
  readonly modelsDir: string
  readonly name: string
  readonly dtypes: readonly ImportDtype[]
}

export interface ImportResult {
  readonly name: string
  readonly dir: string
  readonly status: 'written' | 'unchanged'
  readonly modelType: string
  readonly files: readonly { readonly path: string; readonly bytes: number }[]
}

export async function importModel(source: string, options: ImportOptions): Promise<ImportResult> {
  const folder = readSourceFolder(source)
  const arch = architectures[folder.config.modelType]
  if (!arch)
    throw new VectorizeError(
      'invalid_argument',
      `${join(folder.dir, 'config.json')}: model_type "${folder.config.modelType}" cannot be imported (supported: ${Object.keys(architectures).join(', ')}); export it to ONNX with Hugging Face Optimum instead`,
    )
  const dir = join(options.modelsDir, ...checkedName(options.name).split('/'))
  const fingerprint = `${await sha256File(folder.weights)} ${sha256(await readFile(join(folder.dir, 'config.json')))}`
  const files = filesOf(folder)
  const onnxPaths = options.dtypes.map((d) => onnxFile('sentence-transformers', d))
  const previous = await readStamp(dir)
  const sameSource = previous?.importer === IMPORTER_VERSION && previous.source === fingerprint
  if (sameSource && (await stampHolds(dir, previous, [...files.keys(), ...onnxPaths])))
    return result(options.name, dir, 'unchanged', folder, previous.files, dir)
  const tensors = await SafeTensors.open(folder.weights)
  for (const dtype of options.dtypes)
    files.set(onnxFile('sentence-transformers', dtype), graphBytes(tensors, folder, arch, dtype))
  const hashes: Record<string, string> = sameSource ? { ...previous.files } : {}
  // Files of an import from other weights (an ONNX file of another dtype) would serve stale vectors.
  const stale = sameSource ? [] : Object.keys(previous?.files ?? {}).filter((p) => !files.has(p))
  for (const path of stale)
    await rm(join(dir, ...path.split('/').filter((part) => part !== '..')), { force: true })
  for (const [path, content] of files) {
    await writeAtomic(join(dir, path), content)
    hashes[path] = sha256(content)
  }
  await writeStamp(dir, { importer: IMPORTER_VERSION, source: fingerprint, files: hashes })
  return result(options.name, dir, 'written', folder, hashes, dir)
}

function graphBytes(
  tensors: SafeTensors,
  folder: SourceFolder,
  arch: Architecture,
  dtype: ImportDtype,
): Uint8Array {
  const g = new GraphBuilder(folder.config.modelType)
  const params = new CheckpointParams(g, tensors, arch.prefixes)
  arch.build(params, folder.config)
  const unused = params.unused(encoderIgnorable)
  if (unused.length > 0)
    throw new VectorizeError(
      'invalid_argument',
      `${folder.weights} holds tensors the ${folder.config.modelType} graph does not use (${unused.slice(0, 5).join(', ')}${unused.length > 5 ? ', …' : ''}): not a plain ${folder.config.modelType} encoder`,
    )
  if (dtype === 'q8') quantizeMatMuls(g)
  return g.toBytes({
    producerName: 'vectorize-import',
    producerVersion: IMPORTER_VERSION,
    docString: `${folder.config.modelType} encoder imported by vectorize models import (${dtype})`,
  })
}

/** The non-ONNX files: copies, plus the pooling and module lists written where locate.ts reads them. */
function filesOf(folder: SourceFolder): Map<string, string | Uint8Array> {
  const files = new Map<string, string | Uint8Array>()
  for (const [rel, abs] of folder.copies) files.set(rel, readFileSync(abs))
  files.set('1_Pooling/config.json', json(folder.pooling))
  const modules = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  ]
  if (folder.normalize)
    modules.push({
      idx: 2,
      name: '2',
      path: '2_Normalize',
      type: 'sentence_transformers.models.Normalize',
    })
  files.set('modules.json', json(modules))
  return files
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}

function checkedName(name: string): string {
  if (!/^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/.test(name))
    throw new VectorizeError(
      'invalid_argument',
      `--name ${JSON.stringify(name)}: use a model id such as "my-model" or "org/my-model"`,
    )
  return name
}

function result(
  name: string,
  dir: string,
  status: ImportResult['status'],
  folder: SourceFolder,
  hashes: Readonly<Record<string, string>>,
  root: string,
): ImportResult {
  const files = Object.keys(hashes)
    .sort()
    .map((path) => ({ path, bytes: statSync(join(root, path)).size }))
  return { name, dir, status, modelType: folder.config.modelType, files }
}
