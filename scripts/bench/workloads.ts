/**
 * The texts measured: the sample corpus repeated to N texts ("short"), and texts of about 120
 * tokens built from the corpus's words ("long"). Tokenized here once, outside any timing, with the
 * model's own tokenizer and the worker's truncation, so every row counts the same tokens.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AutoTokenizer, env, LogLevel, type PreTrainedTokenizer } from '@huggingface/transformers'
import { paddedTokens, planBatches } from '../../src/models/batching.ts'
import { truncate } from '../../src/models/runner.ts'
import type { BenchModel } from './model.ts'

export interface Workload {
  readonly name: string
  readonly texts: readonly string[]
  /** Token ids as the worker would run them (truncated to `maxTokens`). */
  readonly ids: readonly (readonly number[])[]
  readonly lengths: readonly number[]
  readonly tokens: number
  readonly truncated: number
}

export interface Plan {
  readonly batches: readonly number[][]
  readonly padded: number
  /** Padded over real tokens of the planned batches (1 = no padding). */
  readonly paddingRatio: number
  readonly meanBatchTexts: number
}

export async function readCorpus(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { text: string }).text)
}

export async function loadTokenizer(model: BenchModel): Promise<PreTrainedTokenizer> {
  env.allowLocalModels = true
  env.allowRemoteModels = false
  env.localModelPath = model.location.root
  env.logLevel = LogLevel.ERROR
  return AutoTokenizer.from_pretrained(model.location.repo)
}

/** The worker's limit: the smallest of tokenizer, model config and sentence-transformers limits. */
export function maxTokensOf(tokenizer: PreTrainedTokenizer, model: BenchModel): number {
  const c = model.config
  const text = (c.text_config ?? {}) as Record<string, unknown>
  const positions = Number(text.max_position_embeddings ?? c.max_position_embeddings ?? Infinity)
  const roberta = c.model_type === 'roberta' || c.model_type === 'xlm-roberta'
  const limits = [
    tokenizer.model_max_length as number,
    roberta ? positions - 2 : positions,
    model.location.maxTokens ?? Infinity,
  ].filter((n) => Number.isFinite(n) && n > 0)
  return limits.length > 0 ? Math.min(...limits) : 512
}

export function tokenize(
  name: string,
  texts: readonly string[],
  tokenizer: PreTrainedTokenizer,
  maxTokens: number,
): Workload {
  const special = new Set<number>(tokenizer.all_special_ids)
  const encoded = tokenizer(texts as string[], {
    padding: false,
    truncation: false,
    return_tensor: false,
  }) as { input_ids: number[][] }
  const cut = encoded.input_ids.map((ids) => truncate(ids, maxTokens, special))
  const lengths = cut.map((t) => t.ids.length)
  return {
    name,
    texts,
    ids: cut.map((t) => t.ids),
    lengths,
    tokens: lengths.reduce((a, b) => a + b, 0),
    truncated: cut.filter((t) => t.truncated).length,
  }
}

/** The corpus repeated (and cut) to `count` texts. */
export function shortTexts(corpus: readonly string[], count: number): string[] {
  return Array.from({ length: count }, (_, i) => corpus[i % corpus.length]!)
}

/**
 * `count` texts of about `target` tokens (special tokens included): runs of corpus words, each
 * word's token cost known from tokenizing it alone (WordPiece and BPE pre-tokenize on spaces).
 */
export function longTexts(
  corpus: readonly string[],
  count: number,
  target: number,
  tokenizer: PreTrainedTokenizer,
): string[] {
  const words = corpus.join(' ').split(/\s+/).filter(Boolean)
  const cost = new Map<string, number>()
  const costOf = (w: string) => {
    let c = cost.get(w)
    if (c === undefined) {
      c = tokenizer.encode(w, { add_special_tokens: false }).length
      cost.set(w, c)
    }
    return c
  }
  const specials = tokenizer.encode('', { add_special_tokens: true }).length
  const texts: string[] = []
  for (let k = 0; k < count; k++) {
    let i = (k * 7919) % words.length // a prime stride: different runs, deterministic
    const picked: string[] = []
    let tokens = specials
    for (;;) {
      const word = words[i % words.length]!
      if (tokens + costOf(word) > target) break
      tokens += costOf(word)
      picked.push(word)
      i++
    }
    texts.push(picked.join(' '))
  }
  return texts
}

export function plan(workload: Workload, maxBatchTokens: number): Plan {
  const batches = planBatches(workload.lengths, maxBatchTokens)
  const padded = paddedTokens(workload.lengths, batches)
  return {
    batches,
    padded,
    paddingRatio: padded / workload.tokens,
    meanBatchTexts: workload.texts.length / batches.length,
  }
}

export function corpusFile(root: string): string {
  return join(root, 'samples', 'corpus.jsonl')
}

/**
 * Padding when requests reach the inference thread `window` at a time (a stream of small tasks
 * with `window` in flight): each flush can only sort and pack what is pending.
 */
export function windowedPaddingRatio(
  workload: Workload,
  window: number,
  maxBatchTokens: number,
): number {
  let padded = 0
  for (let start = 0; start < workload.lengths.length; start += window) {
    const lengths = workload.lengths.slice(start, start + window)
    padded += paddedTokens(lengths, planBatches(lengths, maxBatchTokens))
  }
  return padded / workload.tokens
}
