/**
 * A BERT encoder in the layout of a Hugging Face / Xenova ONNX repository: `config.json`, the
 * WordPiece tokenizer files, `onnx/model.onnx` and, for the Sentence-Transformers flavour,
 * `modules.json` + `1_Pooling/config.json` (mean pooling).
 *
 * The weights are random, but shaped so mean-pooled vectors behave like a bag of words: word
 * embeddings are ten times larger than position embeddings, and attention/FFN weights are small
 * enough that each token's output stays close to its own embedding while still mixing in context.
 * `bert-subspaces.ts` keeps function words out of the pooled vector and relates words of a topic.
 */
import { subspacePatch, wordEmbeddings } from './bert-subspaces.ts'
import { additivePaddingMask, bertLayer, layerNorm, type EncoderShape } from '../onnx/layers.ts'
import { GENERATOR_VERSION, jsonFile, modelCard, type ModelFiles } from './model-files.ts'
import { ElemType, GraphBuilder, attr } from '../onnx/builder.ts'
import { Weights } from './weights.ts'
import { buildWordPieceVocab, wordPieceFiles } from './wordpiece.ts'

export interface BertSpec {
  /** The model id: the folder under the root, e.g. `vectorize-test/minilm-tiny`. */
  readonly id: string
  readonly seed: string
  readonly hiddenSize: number
  readonly numLayers: number
  readonly numHeads: number
  readonly intermediateSize: number
  readonly maxPositions: number
  /** Adds the Sentence-Transformers files (modules.json, 1_Pooling) declaring mean pooling. */
  readonly sentenceTransformers: boolean
}

const POSITION_STD = 0.01
const TOKEN_TYPE_STD = 0.005
/** Projection std: large enough for attention to mix context, small enough to keep identity. */
const PROJECTION_STD = 0.06
const LAYER_NORM_EPS = 1e-12

/** word + position + token-type embeddings, then LayerNorm: [b, s, hidden]. */
function embeddings(
  w: Weights,
  spec: BertSpec,
  vocab: readonly string[],
  ids: string,
  types: string,
): string {
  const g = w.graph
  const h = spec.hiddenSize
  const words = w.data(
    'embeddings.word_embeddings.weight',
    [vocab.length, h],
    wordEmbeddings(spec.seed, vocab, h),
  )
  const seqLen = g.node('Gather', [g.node('Shape', [ids]), g.ints([1], true)], {
    axis: attr.int(0),
  })
  const positions = g.node('Range', [g.ints([0], true), seqLen, g.ints([1], true)])
  const posTable = w.normal(
    'embeddings.position_embeddings.weight',
    [spec.maxPositions, h],
    POSITION_STD,
  )
  const typeTable = w.normal('embeddings.token_type_embeddings.weight', [2, h], TOKEN_TYPE_STD)
  const sum = g.node('Add', [
    g.node('Add', [g.node('Gather', [words, ids]), g.node('Gather', [typeTable, types])]),
    g.node('Gather', [posTable, positions]),
  ])
  return layerNorm(w, 'embeddings.LayerNorm', sum, h, LAYER_NORM_EPS)
}

function bertGraph(spec: BertSpec, vocab: readonly string[]): Uint8Array {
  const g = new GraphBuilder('bert')
  const w = new Weights(g, spec.seed, subspacePatch(spec.hiddenSize, spec.numLayers))
  const dynamic = ['batch_size', 'sequence_length']
  const ids = g.input('input_ids', ElemType.int64, dynamic)
  const mask = g.input('attention_mask', ElemType.int64, dynamic)
  const types = g.input('token_type_ids', ElemType.int64, dynamic)
  const shape: EncoderShape = {
    hidden: spec.hiddenSize,
    heads: spec.numHeads,
    intermediate: spec.intermediateSize,
    layerNormEps: LAYER_NORM_EPS,
    std: PROJECTION_STD,
  }
  const additive = additivePaddingMask(g, mask)
  let x = embeddings(w, spec, vocab, ids, types)
  for (let i = 0; i < spec.numLayers; i++) x = bertLayer(w, i, x, shape, additive)
  g.node('Identity', [x], {}, 'last_hidden_state')
  g.output('last_hidden_state', ElemType.float, [...dynamic, spec.hiddenSize])
  return g.toBytes({ producerVersion: GENERATOR_VERSION, docString: `${spec.id} (synthetic BERT)` })
}

function bertConfig(spec: BertSpec, vocabSize: number): unknown {
  return {
    architectures: ['BertModel'],
    attention_probs_dropout_prob: 0.1,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: spec.hiddenSize,
    initializer_range: PROJECTION_STD,
    intermediate_size: spec.intermediateSize,
    layer_norm_eps: LAYER_NORM_EPS,
    max_position_embeddings: spec.maxPositions,
    model_type: 'bert',
    num_attention_heads: spec.numHeads,
    num_hidden_layers: spec.numLayers,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    type_vocab_size: 2,
    vocab_size: vocabSize,
  }
}

/** The files a sentence-transformers export adds: module list, pooling and max length. */
function sentenceTransformersFiles(spec: BertSpec): ModelFiles {
  const modules = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
  ]
  const pooling = {
    word_embedding_dimension: spec.hiddenSize,
    pooling_mode_cls_token: false,
    pooling_mode_mean_tokens: true,
    pooling_mode_max_tokens: false,
    pooling_mode_mean_sqrt_len_tokens: false,
    pooling_mode_weightedmean_tokens: false,
    pooling_mode_lasttoken: false,
    include_prompt: true,
  }
  return new Map([
    ['modules.json', jsonFile(modules)],
    ['1_Pooling/config.json', jsonFile(pooling)],
    [
      'sentence_bert_config.json',
      jsonFile({ max_seq_length: spec.maxPositions, do_lower_case: false }),
    ],
    ['config_sentence_transformers.json', jsonFile({ similarity_fn_name: 'cosine', prompts: {} })],
  ])
}

/** Every file of one BERT model folder, in memory. */
export function buildBertFiles(spec: BertSpec): ModelFiles {
  const vocab = buildWordPieceVocab()
  const pooling = spec.sentenceTransformers
    ? 'mean pooling (1_Pooling), then L2 normalisation'
    : 'none declared (use CLS)'
  const files: ModelFiles = new Map([
    ['config.json', jsonFile(bertConfig(spec, vocab.length))],
    ...wordPieceFiles(vocab, spec.maxPositions),
    ['onnx/model.onnx', bertGraph(spec, vocab)],
    [
      'README.md',
      modelCard(spec.id, [
        `BERT encoder: ${spec.numLayers} layers, hidden ${spec.hiddenSize}, ${spec.numHeads} heads, ${vocab.length} WordPiece tokens, max ${spec.maxPositions} tokens.`,
        `Pooling: ${pooling}.`,
        'Texts sharing content words get close vectors; padding never changes real tokens.',
      ]),
    ],
  ])
  if (spec.sentenceTransformers) {
    for (const [path, content] of sentenceTransformersFiles(spec)) files.set(path, content)
  }
  return files
}
