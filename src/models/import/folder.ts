/**
 * Reads a sentence-transformers folder (what `SentenceTransformer.save` writes, or a hub snapshot)
 * and checks that vectorize can serve it exactly: safetensors weights, a fast tokenizer, mean or
 * CLS pooling, and no module after pooling that would change the vectors (Dense, …).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { VectorizeError } from '../../worker/errors.ts'
import { encoderConfig, type EncoderConfig } from './config.ts'

export interface SourceFolder {
  readonly dir: string
  readonly config: EncoderConfig
  readonly rawConfig: Record<string, unknown>
  readonly weights: string
  readonly pooling: Record<string, unknown>
  readonly maxSeqLength: number | undefined
  /** Whether its modules end with Normalize (a folder without modules.json: assumed). */
  readonly normalize: boolean
  /** Files copied as they are: path in the output → path in the source. */
  readonly copies: ReadonlyMap<string, string>
}

/** Copied when present: the tokenizer, the model card, sentence-transformers' own settings. */
const OPTIONAL_FILES = [
  'special_tokens_map.json',
  'vocab.txt',
  'merges.txt',
  'sentencepiece.bpe.model',
  'sentence_bert_config.json',
  'config_sentence_transformers.json',
  'README.md',
  'LICENSE',
]

const MODULE_TYPES = new Set(['Transformer', 'Pooling', 'Normalize'])

export function readSourceFolder(source: string): SourceFolder {
  const dir = resolve(source)
  const need = (rel: string, why: string): string => {
    const file = join(dir, rel)
    if (!existsSync(file)) throw new VectorizeError('not_found', `${file} is missing: ${why}`)
    return file
  }
  const configFile = need('config.json', 'the model configuration')
  const weights = need(
    'model.safetensors',
    'the weights (pytorch_model.bin is not read: save the model with safe_serialization=True)',
  )
  const tokenizer = need('tokenizer.json', 'the fast tokenizer that vectorize runs')
  const tokenizerConfig = need('tokenizer_config.json', 'the tokenizer settings')
  const rawConfig = readJson(configFile)
  const { pooling: poolingDir, normalize } = checkModules(dir)
  const pooling = poolingConfig(dir, poolingDir)
  const stConfig = existsSync(join(dir, 'sentence_bert_config.json'))
    ? readJson(join(dir, 'sentence_bert_config.json'))
    : {}
  if (stConfig.do_lower_case === true)
    throw new VectorizeError(
      'invalid_argument',
      `${join(dir, 'sentence_bert_config.json')}: do_lower_case is true; vectorize passes text to the tokenizer unchanged`,
    )
  const copies = new Map([
    ['config.json', configFile],
    ['tokenizer.json', tokenizer],
    ['tokenizer_config.json', tokenizerConfig],
  ])
  for (const rel of OPTIONAL_FILES) if (existsSync(join(dir, rel))) copies.set(rel, join(dir, rel))
  const max = stConfig.max_seq_length
  return {
    dir,
    config: encoderConfig(rawConfig, configFile),
    rawConfig,
    weights,
    pooling,
    maxSeqLength: typeof max === 'number' && max > 0 ? max : undefined,
    normalize,
    copies,
  }
}

/** modules.json, when present, may only hold the modules vectorize reproduces. */
function checkModules(dir: string): { pooling: string; normalize: boolean } {
  const file = join(dir, 'modules.json')
  if (!existsSync(file)) return { pooling: '1_Pooling', normalize: true }
  const modules = readJson(file) as unknown as { type?: string; path?: string }[]
  if (!Array.isArray(modules)) throw new VectorizeError('invalid_argument', `${file} is not a list`)
  let pooling = '1_Pooling'
  let normalize = false
  for (const m of modules) {
    const type =
      String(m.type ?? '')
        .split('.')
        .pop() ?? ''
    if (!MODULE_TYPES.has(type))
      throw new VectorizeError(
        'invalid_argument',
        `${file} lists a ${m.type} module; vectorize reproduces only Transformer, Pooling and Normalize`,
      )
    if (type === 'Pooling' && m.path) pooling = m.path
    if (type === 'Normalize') normalize = true
  }
  return { pooling, normalize }
}

function poolingConfig(dir: string, poolingDir: string): Record<string, unknown> {
  const file = join(dir, poolingDir, 'config.json')
  if (!existsSync(file)) return { pooling_mode_mean_tokens: true }
  const config = readJson(file)
  const modes = Object.entries(config)
    .filter(([k, v]) => k.startsWith('pooling_mode_') && v === true)
    .map(([k]) => k.slice('pooling_mode_'.length))
  if (modes.length !== 1 || !['mean_tokens', 'cls_token'].includes(modes[0]!))
    throw new VectorizeError(
      'invalid_argument',
      `${file} pools by ${modes.join(' + ') || 'nothing'}; vectorize supports mean_tokens or cls_token`,
    )
  return config
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  } catch (err) {
    throw new VectorizeError('invalid_argument', `${file} is not valid JSON`, { cause: err })
  }
}
