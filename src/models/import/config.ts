/** The encoder settings `config.json` gives, read once and checked for what the graphs support. */
import { VectorizeError } from '../../worker/errors.ts'

export interface EncoderConfig {
  readonly modelType: string
  readonly hidden: number
  readonly layers: number
  readonly heads: number
  readonly intermediate: number
  readonly layerNormEps: number
  readonly maxPositions: number
  readonly vocabSize: number
  readonly typeVocabSize: number
  readonly padTokenId: number
  /** MPNet's relative position buckets. */
  readonly relativeBuckets: number
}

export function encoderConfig(raw: Record<string, unknown>, file: string): EncoderConfig {
  const int = (key: string, fallback?: number): number => {
    const value = raw[key] ?? fallback
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
      throw new VectorizeError('invalid_argument', `${file}: ${key} must be a non-negative integer`)
    return value
  }
  const act = raw.hidden_act ?? 'gelu'
  if (act !== 'gelu')
    throw new VectorizeError(
      'invalid_argument',
      `${file}: hidden_act ${JSON.stringify(act)} is not supported (only exact "gelu")`,
    )
  const position = raw.position_embedding_type ?? 'absolute'
  if (position !== 'absolute')
    throw new VectorizeError(
      'invalid_argument',
      `${file}: position_embedding_type ${JSON.stringify(position)} is not supported (only "absolute")`,
    )
  const config: EncoderConfig = {
    modelType: String(raw.model_type),
    hidden: int('hidden_size'),
    layers: int('num_hidden_layers'),
    heads: int('num_attention_heads'),
    intermediate: int('intermediate_size'),
    layerNormEps: typeof raw.layer_norm_eps === 'number' ? raw.layer_norm_eps : 1e-12,
    maxPositions: int('max_position_embeddings'),
    vocabSize: int('vocab_size'),
    typeVocabSize: int('type_vocab_size', 2),
    padTokenId: int('pad_token_id', 0),
    relativeBuckets: int('relative_attention_num_buckets', 32),
  }
  if (config.heads === 0 || config.hidden % config.heads !== 0)
    throw new VectorizeError(
      'invalid_argument',
      `${file}: hidden_size ${config.hidden} is not a multiple of num_attention_heads ${config.heads}`,
    )
  return config
}
