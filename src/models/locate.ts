/**
 * Finds a model's files on disk before anything is loaded, so a missing model fails with an error
 * naming every path that was tried (and the hub repository, when downloads are allowed).
 */
import { existsSync, readFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { lookupModel } from './catalog.ts'
import type { Dtype, ModelFamily, Pooling } from './embedder.ts'

export interface LocateOptions {
  readonly dirs: readonly string[]
  readonly dtype: Dtype
  /** Pooling for plain Hugging Face encoders (sentence-transformers models bring their own). */
  readonly pooling: Pooling
}

/** Where transformers.js should load from: `root` is its `localModelPath`, `repo` the model id. */
export interface ModelLocation {
  readonly name: string
  readonly family: ModelFamily
  readonly pooling: Pooling
  readonly root: string
  readonly repo: string
  /** Present when the files were found locally; absent means "download `repo` from the hub". */
  readonly dir?: string
  /** sentence-transformers' `max_seq_length` (sentence_bert_config.json, else the catalog). */
  readonly maxTokens?: number
}

export interface LocateResult {
  readonly found?: ModelLocation
  readonly tried: readonly string[]
  /** Hub repositories to try when nothing is local. */
  readonly remote: ModelLocation
}

const dtypeSuffix: Record<Dtype, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  bnb4: '_bnb4',
}

export function onnxFile(
  family: ModelFamily,
  dtype: Dtype,
  tower: 'text' | 'vision' = 'text',
): string {
  const base = family === 'clip' ? `${tower}_model` : 'model'
  return join('onnx', `${base}${dtypeSuffix[dtype]}.onnx`)
}

export function locateModel(name: string, options: LocateOptions): LocateResult {
  const entry = lookupModel(name)
  const repos = entry ? entry.repos : [name]
  const tried: string[] = []
  const candidates = isPathLike(name)
    ? [{ root: resolve(name, '..'), repo: resolve(name).split(/[\\/]/).pop()! }]
    : options.dirs.flatMap((d) => repos.map((repo) => ({ root: resolve(d), repo })))
  for (const { root, repo } of candidates) {
    const dir = join(root, repo)
    const family = entry?.family ?? detectFamily(dir)
    const file = join(dir, onnxFile(family, options.dtype))
    tried.push(file)
    if (existsSync(file) && existsSync(join(dir, 'tokenizer.json'))) {
      const pooling = entry?.pooling ?? detectPooling(dir, family, options.pooling)
      const maxTokens = seqLength(dir) ?? entry?.maxTokens
      return {
        found: {
          name: entry?.name ?? name,
          family,
          pooling,
          root,
          repo,
          dir,
          ...(maxTokens && { maxTokens }),
        },
        tried,
        remote: remoteOf(entry, name, options),
      }
    }
  }
  return { tried, remote: remoteOf(entry, name, options) }
}

function remoteOf(
  entry: ReturnType<typeof lookupModel>,
  name: string,
  options: LocateOptions,
): ModelLocation {
  const root = resolve(options.dirs[0] ?? '.')
  return {
    name: entry?.name ?? name,
    family: entry?.family ?? 'transformers',
    pooling: entry?.pooling ?? options.pooling,
    root,
    repo: entry?.repos[0] ?? name,
    ...(entry?.maxTokens && { maxTokens: entry.maxTokens }),
  }
}

function seqLength(dir: string): number | undefined {
  const value = readJson(join(dir, 'sentence_bert_config.json'))?.max_seq_length
  return typeof value === 'number' && value > 0 ? value : undefined
}

function isPathLike(name: string): boolean {
  return isAbsolute(name) || name.startsWith('./') || name.startsWith('../')
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  } catch {
    return undefined
  }
}

function detectFamily(dir: string): ModelFamily {
  if (readJson(join(dir, 'config.json'))?.model_type === 'clip') return 'clip'
  if (existsSync(join(dir, 'modules.json')) || existsSync(join(dir, '1_Pooling', 'config.json'))) {
    return 'sentence-transformers'
  }
  return 'transformers'
}

/** Sentence-transformers repos say how they pool in 1_Pooling/config.json. */
function detectPooling(dir: string, family: ModelFamily, fallback: Pooling): Pooling {
  if (family !== 'sentence-transformers') return fallback
  const cfg = readJson(join(dir, '1_Pooling', 'config.json'))
  if (cfg?.pooling_mode_cls_token === true) return 'cls'
  return 'mean'
}
