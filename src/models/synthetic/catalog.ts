/**
 * The synthetic models the tests and the offline demo use. Ids are what a user writes in config
 * (resolved under the models root, e.g. `fixtures/models/vectorize-test/minilm-tiny`).
 */
import type { BertSpec } from './bert.ts'
import type { ClipSpec } from './clip.ts'

interface TestModelInfo {
  readonly id: string
  readonly family: 'sentence-transformers' | 'transformers' | 'clip'
  /** Length of the vectors the model yields (pooled hidden state, or CLIP's projection). */
  readonly dimensions: number
  /** Longest input in tokens, special tokens included (`model_max_length`). */
  readonly maxTokens: number
}

export interface BertTestModel extends TestModelInfo {
  readonly kind: 'bert'
  /** The pooling the model is meant for: declared in 1_Pooling (mean), or CLS by convention. */
  readonly pooling: 'mean' | 'cls'
  readonly spec: BertSpec
}

export interface ClipTestModel extends TestModelInfo {
  readonly kind: 'clip'
  /** Side of the square images the vision tower takes (after resize and centre crop). */
  readonly imageSize: number
  readonly spec: ClipSpec
}

export type TestModel = BertTestModel | ClipTestModel

const MINILM_TINY: BertSpec = {
  id: 'vectorize-test/minilm-tiny',
  seed: 'vectorize-test/minilm-tiny#1',
  hiddenSize: 64,
  numLayers: 2,
  numHeads: 4,
  intermediateSize: 128,
  maxPositions: 128,
  sentenceTransformers: true,
}

const BERT_TINY_CLS: BertSpec = {
  id: 'vectorize-test/bert-tiny-cls',
  seed: 'vectorize-test/bert-tiny-cls#1',
  hiddenSize: 48,
  numLayers: 2,
  numHeads: 3,
  intermediateSize: 96,
  maxPositions: 64,
  sentenceTransformers: false,
}

const CLIP_TINY: ClipSpec = {
  id: 'vectorize-test/clip-tiny',
  seed: 'vectorize-test/clip-tiny#1',
  projectionDim: 32,
  text: { hidden: 32, heads: 2, intermediate: 64, layers: 1, maxPositions: 77 },
  vision: { hidden: 32, heads: 2, intermediate: 64, layers: 1, imageSize: 32, patchSize: 8 },
}

export const TEST_MODELS = {
  /** Sentence-Transformers-style encoder (mean pooling), the default model of tests and demo. */
  minilmTiny: {
    kind: 'bert',
    id: MINILM_TINY.id,
    family: 'sentence-transformers',
    dimensions: MINILM_TINY.hiddenSize,
    maxTokens: MINILM_TINY.maxPositions,
    pooling: 'mean',
    spec: MINILM_TINY,
  },
  /** Plain Hugging Face encoder without sentence-transformers files, for CLS pooling. */
  bertTinyCls: {
    kind: 'bert',
    id: BERT_TINY_CLS.id,
    family: 'transformers',
    dimensions: BERT_TINY_CLS.hiddenSize,
    maxTokens: BERT_TINY_CLS.maxPositions,
    pooling: 'cls',
    spec: BERT_TINY_CLS,
  },
  /** CLIP-like text/image pair whose shared space knows colours. */
  clipTiny: {
    kind: 'clip',
    id: CLIP_TINY.id,
    family: 'clip',
    dimensions: CLIP_TINY.projectionDim,
    maxTokens: CLIP_TINY.text.maxPositions,
    imageSize: CLIP_TINY.vision.imageSize,
    spec: CLIP_TINY,
  },
} as const satisfies Record<string, TestModel>
