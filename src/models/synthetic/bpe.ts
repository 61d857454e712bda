/**
 * A CLIP-style byte-level BPE tokenizer (lowercase, `</w>` end-of-word suffix,
 * `<|startoftext|>`/`<|endoftext|>`), trained deterministically on the embedded word list.
 *
 * Training merges the most frequent adjacent pair until every listed word is one token. Applying
 * merges by rank, as the tokenizer does, replays training exactly on a training word, so each
 * listed word (every colour name included) encodes as a single token. Other text falls back to
 * byte pieces, which are all in the vocabulary: nothing maps to the unknown token.
 */
import { jsonFile, type ModelFiles } from './model-files.ts'

export const BOS_TOKEN = '<|startoftext|>'
export const EOS_TOKEN = '<|endoftext|>'
const END_OF_WORD = '</w>'

/** GPT-2's reversible byte → printable character table, in its canonical order. */
function byteLevelAlphabet(): string[] {
  const printable: number[] = []
  const ranges: [number, number][] = [[0x21, 0x7e], [0xa1, 0xac], [0xae, 0xff]] // prettier-ignore
  for (const [from, to] of ranges) for (let b = from; b <= to; b++) printable.push(b)
  const chars = printable.map((b) => String.fromCharCode(b))
  let extra = 0
  for (let b = 0; b < 256; b++) {
    if (!printable.includes(b)) chars.push(String.fromCharCode(256 + extra++))
  }
  return chars
}

interface Candidate {
  readonly key: string
  readonly count: number
}

/** Higher count first; ties go to the smaller key, so no iteration order matters. */
function before(a: Candidate, b: Candidate): boolean {
  return a.count > b.count || (a.count === b.count && a.key < b.key)
}

/** A binary max-heap of candidates; stale entries are skipped when popped. */
class CandidateHeap {
  readonly #items: Candidate[] = []

  push(item: Candidate): void {
    const items = this.#items
    items.push(item)
    for (let i = items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1
      if (!before(items[i] as Candidate, items[parent] as Candidate)) break
      ;[items[i], items[parent]] = [items[parent] as Candidate, items[i] as Candidate]
      i = parent
    }
  }

  pop(): Candidate | undefined {
    const items = this.#items
    const top = items[0]
    const last = items.pop()
    if (items.length === 0 || last === undefined) return top
    items[0] = last
    for (let i = 0; ;) {
      const [l, r] = [2 * i + 1, 2 * i + 2]
      let m = i
      if (l < items.length && before(items[l] as Candidate, items[m] as Candidate)) m = l
      if (r < items.length && before(items[r] as Candidate, items[m] as Candidate)) m = r
      if (m === i) return top
      ;[items[i], items[m]] = [items[m] as Candidate, items[i] as Candidate]
      i = m
    }
  }
}

/** Pair counts over the words still being merged, with the words each pair occurs in. */
class PairIndex {
  readonly #counts = new Map<string, number>()
  readonly #heap = new CandidateHeap()
  /** Keys whose count changed since the last `best()`: pushed once with their final count. */
  readonly #dirty = new Set<string>()
  readonly where = new Map<string, Set<number>>()

  add(word: readonly string[], index: number, sign: 1 | -1): void {
    for (let i = 0; i + 1 < word.length; i++) {
      // Tokens never contain a space, so it separates the pair unambiguously.
      const key = `${word[i]} ${word[i + 1]}`
      const count = (this.#counts.get(key) ?? 0) + sign
      this.#counts.set(key, count)
      this.#dirty.add(key)
      if (sign > 0) this.where.set(key, (this.where.get(key) ?? new Set()).add(index))
    }
  }

  /** The most frequent pair (see `before`), or undefined when no pair is left. */
  best(): string | undefined {
    for (const key of this.#dirty) {
      const count = this.#counts.get(key) ?? 0
      if (count > 0) this.#heap.push({ key, count })
    }
    this.#dirty.clear()
    for (let c = this.#heap.pop(); c !== undefined; c = this.#heap.pop()) {
      if (this.#counts.get(c.key) === c.count) return c.key
    }
    return undefined
  }

  /** Forgets a merged pair: no word holds it any more. */
  drop(key: string): void {
    this.#counts.delete(key)
    this.where.delete(key)
  }
}

function applyMerge(word: readonly string[], left: string, right: string): string[] {
  const out: string[] = []
  for (let i = 0; i < word.length; i++) {
    if (word[i] === left && word[i + 1] === right) {
      out.push(left + right)
      i++
    } else out.push(word[i] ?? '')
  }
  return out
}

/** Merges in rank order, until every word is a single token. */
export function trainMerges(words: readonly string[]): [string, string][] {
  const split = [...new Set(words)].map((w) => [...w.slice(0, -1), `${w.slice(-1)}${END_OF_WORD}`])
  const index = new PairIndex()
  split.forEach((word, i) => index.add(word, i, 1))
  const merges: [string, string][] = []
  for (let key = index.best(); key !== undefined; key = index.best()) {
    const [left = '', right = ''] = key.split(' ')
    merges.push([left, right])
    // Sorted, so words are rewritten in the same order whatever the Set's history.
    for (const i of [...(index.where.get(key) ?? [])].sort((a, b) => a - b)) {
      const word = split[i] ?? []
      index.add(word, i, -1)
      split[i] = applyMerge(word, left, right)
      index.add(split[i] ?? [], i, 1)
    }
    index.drop(key)
  }
  return merges
}

/** Ids: the 256 byte characters, the same with `</w>`, one per merge, then BOS and EOS last. */
export function buildBpeVocab(merges: readonly [string, string][]): string[] {
  const alphabet = byteLevelAlphabet()
  const tokens = [
    ...alphabet,
    ...alphabet.map((c) => c + END_OF_WORD),
    ...merges.map(([a, b]) => a + b),
  ]
  return [...new Set(tokens), BOS_TOKEN, EOS_TOKEN]
}

function addedToken(content: string, id: number): Record<string, unknown> {
  return {
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  }
}

/** `tokenizer.json` with the same pipeline as openai/clip-vit-base-patch32's. */
function tokenizerJson(vocab: readonly string[], merges: readonly [string, string][]): unknown {
  const bos = vocab.length - 2
  const eos = vocab.length - 1
  const split =
    "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+"
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [addedToken(BOS_TOKEN, bos), addedToken(EOS_TOKEN, eos)],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: split }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [EOS_TOKEN, eos],
      cls: [BOS_TOKEN, bos],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: EOS_TOKEN,
      continuing_subword_prefix: '',
      end_of_word_suffix: END_OF_WORD,
      fuse_unk: false,
      byte_fallback: false,
      vocab: Object.fromEntries(vocab.map((token, id) => [token, id])),
      merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  }
}

/** The tokenizer files of a CLIP repository (`vocab.json`/`merges.txt` for the slow tokenizer). */
export function bpeFiles(
  vocab: readonly string[],
  merges: readonly [string, string][],
  maxLength: number,
): ModelFiles {
  const special = {
    bos_token: BOS_TOKEN,
    eos_token: EOS_TOKEN,
    pad_token: EOS_TOKEN,
    unk_token: EOS_TOKEN,
  }
  const config = {
    add_prefix_space: false,
    clean_up_tokenization_spaces: true,
    do_lower_case: true,
    errors: 'replace',
    model_max_length: maxLength,
    ...special,
    tokenizer_class: 'CLIPTokenizer',
  }
  return new Map<string, string | Uint8Array>([
    ['tokenizer.json', jsonFile(tokenizerJson(vocab, merges))],
    ['tokenizer_config.json', jsonFile(config)],
    ['special_tokens_map.json', jsonFile(special)],
    ['vocab.json', jsonFile(Object.fromEntries(vocab.map((token, id) => [token, id])))],
    ['merges.txt', `#version: 0.2\n${merges.map(([a, b]) => `${a} ${b}`).join('\n')}\n`],
  ])
}
