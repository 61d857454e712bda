/**
 * A CLIP-like dual encoder in the layout of a Xenova CLIP repository: `config.json` with
 * text/vision configs, a byte-level BPE tokenizer, `preprocessor_config.json`, and the two towers
 * as `onnx/text_model.onnx` and `onnx/vision_model.onnx` (what `CLIPTextModelWithProjection` and
 * `CLIPVisionModelWithProjection` load). Text and images share a colour subspace; see
 * `clip-colors.ts`.
 */
import { buildBpeVocab, bpeFiles, trainMerges } from './bpe.ts'
import { CLIP_IMAGE_MEAN, CLIP_IMAGE_STD, COLOR_WORDS, colorPathPatch } from './clip-colors.ts'
import {
  CLIP_LAYER_NORM_EPS,
  CLIP_PROJECTION_STD,
  buildClipTextGraph,
  type ClipTowerSpec,
} from './clip-text.ts'
import { buildClipVisionGraph } from './clip-vision.ts'
import { GENERATOR_VERSION, jsonFile, modelCard, type ModelFiles } from './model-files.ts'
import { GraphBuilder } from '../onnx/builder.ts'
import { Weights } from './weights.ts'
import { vocabularyWords } from './words.ts'

export interface ClipSpec {
  readonly id: string
  readonly seed: string
  readonly projectionDim: number
  readonly text: ClipTowerSpec & { readonly maxPositions: number }
  readonly vision: ClipTowerSpec & { readonly imageSize: number; readonly patchSize: number }
}

let cachedMerges: [string, string][] | undefined

/** BPE training takes a few hundred milliseconds and depends only on the word list: do it once. */
function clipMerges(): [string, string][] {
  cachedMerges ??= trainMerges([...vocabularyWords(), ...Object.keys(COLOR_WORDS)])
  return cachedMerges
}

function towerConfig(tower: ClipTowerSpec, projectionDim: number): Record<string, unknown> {
  return {
    hidden_act: 'quick_gelu',
    hidden_size: tower.hidden,
    initializer_range: CLIP_PROJECTION_STD,
    intermediate_size: tower.intermediate,
    layer_norm_eps: CLIP_LAYER_NORM_EPS,
    num_attention_heads: tower.heads,
    num_hidden_layers: tower.layers,
    projection_dim: projectionDim,
  }
}

function clipConfig(spec: ClipSpec, vocabSize: number): unknown {
  return {
    architectures: ['CLIPModel'],
    logit_scale_init_value: 2.6592,
    model_type: 'clip',
    projection_dim: spec.projectionDim,
    text_config: {
      ...towerConfig(spec.text, spec.projectionDim),
      model_type: 'clip_text_model',
      bos_token_id: vocabSize - 2,
      eos_token_id: vocabSize - 1,
      pad_token_id: vocabSize - 1,
      max_position_embeddings: spec.text.maxPositions,
      vocab_size: vocabSize,
    },
    vision_config: {
      ...towerConfig(spec.vision, spec.projectionDim),
      model_type: 'clip_vision_model',
      image_size: spec.vision.imageSize,
      num_channels: 3,
      patch_size: spec.vision.patchSize,
    },
  }
}

/** Resize the short side, centre-crop, rescale to [0, 1], normalise: CLIP's pipeline. */
function preprocessorConfig(spec: ClipSpec): unknown {
  const size = spec.vision.imageSize
  return {
    crop_size: { height: size, width: size },
    do_center_crop: true,
    do_convert_rgb: true,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    feature_extractor_type: 'CLIPFeatureExtractor',
    image_mean: CLIP_IMAGE_MEAN,
    image_processor_type: 'CLIPImageProcessor',
    image_std: CLIP_IMAGE_STD,
    resample: 3,
    rescale_factor: 1 / 255,
    size: { shortest_edge: size },
  }
}

function towerBytes(spec: ClipSpec, name: string, build: (w: Weights) => void): Uint8Array {
  const g = new GraphBuilder(name)
  build(new Weights(g, spec.seed, colorPathPatch))
  return g.toBytes({
    producerVersion: GENERATOR_VERSION,
    docString: `${spec.id} ${name} (synthetic CLIP)`,
  })
}

/** Every file of the CLIP model folder, in memory. */
export function buildClipFiles(spec: ClipSpec): ModelFiles {
  const merges = clipMerges()
  const vocab = buildBpeVocab(merges)
  const text = { ...spec.text, projectionDim: spec.projectionDim }
  const vision = { ...spec.vision, projectionDim: spec.projectionDim }
  return new Map([
    ['config.json', jsonFile(clipConfig(spec, vocab.length))],
    ...bpeFiles(vocab, merges, spec.text.maxPositions),
    ['preprocessor_config.json', jsonFile(preprocessorConfig(spec))],
    [
      'onnx/text_model.onnx',
      towerBytes(spec, 'clip_text', (w) => buildClipTextGraph(w, spec.seed, vocab, text)),
    ],
    [
      'onnx/vision_model.onnx',
      towerBytes(spec, 'clip_vision', (w) => buildClipVisionGraph(w, spec.seed, vision)),
    ],
    [
      'README.md',
      modelCard(spec.id, [
        `CLIP-like pair: ${spec.projectionDim}-dim shared space, ${spec.vision.imageSize}×${spec.vision.imageSize} images, ${vocab.length} BPE tokens.`,
        `Colour words (${Object.keys(COLOR_WORDS).join(', ')}) and solid-colour images meet in a shared subspace: "a red square" is nearest a red image.`,
        'Anything else is random: other captions and images map to arbitrary directions.',
      ]),
    ],
  ])
}
