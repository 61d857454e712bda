/**
 * The model under test: found on disk the way the worker finds it (models/locate.ts). The generated
 * test models are written first when asked for; `vectorize-bench/minilm-l6-shape` is a generated
 * encoder with all-MiniLM-L6-v2's shape (6 × 384, 12 heads, FFN 1536), so its compute per token is
 * the real model's (its synthetic vocabulary splits words into more tokens than the real one).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Dtype, ModelFamily } from '../../src/models/embedder.ts'
import { locateModel, onnxFile, type ModelLocation } from '../../src/models/locate.ts'
import {
  buildBertFiles,
  generateTestModels,
  type BertSpec,
} from '../../src/models/synthetic/index.ts'
import { writeModelFolder } from '../../src/models/synthetic/writer.ts'

export const MINILM_L6_SHAPE: BertSpec = {
  id: 'vectorize-bench/minilm-l6-shape',
  seed: 'vectorize-bench/minilm-l6-shape#1',
  hiddenSize: 384,
  numLayers: 6,
  numHeads: 12,
  intermediateSize: 1536,
  maxPositions: 256,
  sentenceTransformers: true,
}

export interface BenchModel {
  readonly id: string
  readonly location: ModelLocation & { readonly dir: string }
  readonly family: ModelFamily
  /** The ONNX file the worker loads for this dtype. */
  readonly file: string
  /** Hidden size from config.json, for the FLOP estimate. */
  readonly config: Readonly<Record<string, unknown>>
}

/** Writes a generated model if `id` names one, then locates it; throws naming the paths tried. */
export async function prepareModel(id: string, root: string, dtype: Dtype): Promise<BenchModel> {
  if (id.startsWith('vectorize-test/')) await generateTestModels(root)
  if (id === MINILM_L6_SHAPE.id) {
    await writeModelFolder(root, id, MINILM_L6_SHAPE, () => buildBertFiles(MINILM_L6_SHAPE))
  }
  const located = locateModel(id, { dirs: [root], dtype, pooling: 'mean' })
  const found = located.found
  if (!found?.dir) throw new Error(`model ${id} not found; tried ${located.tried.join(', ')}`)
  const config = JSON.parse(readFileSync(join(found.dir, 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >
  return {
    id,
    location: { ...found, dir: found.dir },
    family: found.family,
    file: join(found.dir, onnxFile(found.family, dtype)),
    config,
  }
}

/** Matmul parameters per token of a BERT-like encoder (embedding lookups cost no FLOPs). */
export function encoderFlopsPerToken(
  config: Readonly<Record<string, unknown>>,
  seq: number,
): number | undefined {
  const h = Number(config.hidden_size)
  const layers = Number(config.num_hidden_layers)
  const ffn = Number(config.intermediate_size)
  if (!(h > 0 && layers > 0 && ffn > 0)) return undefined
  const matmul = layers * (4 * h * h + 2 * h * ffn)
  const attention = layers * 4 * seq * h // QKᵀ and AV
  return 2 * matmul + attention
}
