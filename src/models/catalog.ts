/**
 * The model names a user writes (SPEC §3) and the ONNX repositories transformers.js loads for
 * them. A name not listed here is taken as a repository id or a folder under `models.dir`.
 */
import type { ModelFamily, Pooling } from './embedder.ts'

export interface CatalogEntry {
  /** Canonical user-facing name. */
  readonly name: string
  readonly family: ModelFamily
  /** Repositories to look for, in order (ONNX exports first). */
  readonly repos: readonly string[]
  readonly pooling: Pooling
  /** sentence-transformers' `max_seq_length`, when below what the tokenizer allows. */
  readonly maxTokens?: number
}

const st = (name: string, onnx: string, maxTokens: number): CatalogEntry => ({
  name,
  family: 'sentence-transformers',
  repos: [onnx, name],
  pooling: 'mean',
  maxTokens,
})
const hf = (name: string, onnx: string): CatalogEntry => ({
  name,
  family: 'transformers',
  repos: [onnx, name],
  pooling: 'mean',
})
const clip = (name: string, onnx: string): CatalogEntry => ({
  name,
  family: 'clip',
  repos: [onnx],
  pooling: 'mean',
})

const entries: readonly CatalogEntry[] = [
  st('sentence-transformers/all-MiniLM-L6-v2', 'Xenova/all-MiniLM-L6-v2', 256),
  st('sentence-transformers/all-mpnet-base-v2', 'Xenova/all-mpnet-base-v2', 384),
  st(
    'sentence-transformers/distilbert-base-nli-stsb-mean-tokens',
    'Xenova/distilbert-base-nli-stsb-mean-tokens',
    128,
  ),
  st(
    'sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2',
    'Xenova/paraphrase-multilingual-MiniLM-L12-v2',
    128,
  ),
  hf('bert-base-uncased', 'Xenova/bert-base-uncased'),
  hf('distilbert-base-uncased', 'Xenova/distilbert-base-uncased'),
  hf('roberta-base', 'Xenova/roberta-base'),
  clip('ViT-B/32', 'Xenova/clip-vit-base-patch32'),
  clip('ViT-B/16', 'Xenova/clip-vit-base-patch16'),
  clip('ViT-L/14', 'Xenova/clip-vit-large-patch14'),
]

/** Short names people also use (`all-MiniLM-L6-v2`, the ONNX repo id itself). */
const aliases = new Map<string, CatalogEntry>()
for (const entry of entries) {
  aliases.set(entry.name.toLowerCase(), entry)
  aliases.set(entry.name.split('/').pop()!.toLowerCase(), entry)
  for (const repo of entry.repos) aliases.set(repo.toLowerCase(), entry)
}

export function lookupModel(name: string): CatalogEntry | undefined {
  return aliases.get(name.trim().toLowerCase())
}

export const catalog: readonly CatalogEntry[] = entries
