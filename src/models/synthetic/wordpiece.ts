/**
 * A BERT-style uncased WordPiece vocabulary and its Hugging Face tokenizer files, built from the
 * embedded word list. Every letter, digit and `##`-continuation is present, so ASCII text never
 * maps to [UNK]; whole words and common suffixes keep the pieces meaningful.
 */
import { jsonFile, type ModelFiles } from './model-files.ts'
import { vocabularyWords } from './words.ts'

export const BERT_SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const

const PUNCTUATION = [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~']
const LETTERS = [...'abcdefghijklmnopqrstuvwxyz']
const DIGITS = [...'0123456789']
const SUFFIXES = [
  's', 'es', 'ed', 'd', 'ing', 'ly', 'er', 'ers', 'est', 'en', 'y', 'ies', 'ied', 'tion', 'tions',
  'sion', 'ation', 'ment', 'ments', 'ness', 'ful', 'less', 'able', 'ible', 'al', 'ally', 'ity',
  'ive', 'ous', 'ize', 'ized', 'ise', 'ist', 'ists', 'ism', 'ic', 'ical', 'ish', 'age', 'ance',
  'ence', 'ant', 'ent', 'ship', 'hood', 'ward', 'wards', 'or', 'ors', 'th', 'ty', 'teen',
] // prettier-ignore

/** Token → id order: specials, punctuation, digits, letters, continuations, suffixes, words. */
export function buildWordPieceVocab(): string[] {
  const ordered = [
    ...BERT_SPECIAL_TOKENS,
    ...PUNCTUATION,
    ...DIGITS,
    ...LETTERS,
    ...[...LETTERS, ...DIGITS].map((c) => `##${c}`),
    ...SUFFIXES.map((s) => `##${s}`),
    ...vocabularyWords(),
  ]
  return [...new Set(ordered)]
}

function specialToken(content: string, id: number): Record<string, unknown> {
  return {
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }
}

function idOf(vocab: readonly string[], token: string): number {
  const id = vocab.indexOf(token)
  if (id < 0) throw new Error(`token ${token} missing from vocab`)
  return id
}

/** `tokenizer.json` as the `tokenizers` library writes it for bert-base-uncased. */
function tokenizerJson(vocab: readonly string[]): unknown {
  const cls = idOf(vocab, '[CLS]')
  const sep = idOf(vocab, '[SEP]')
  const special = (id: string, typeId: number): unknown => ({
    SpecialToken: { id, type_id: typeId },
  })
  const sequence = (id: string, typeId: number): unknown => ({ Sequence: { id, type_id: typeId } })
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: BERT_SPECIAL_TOKENS.map((t) => specialToken(t, idOf(vocab, t))),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]', 0), sequence('A', 0), special('[SEP]', 0)],
      pair: [
        special('[CLS]', 0),
        sequence('A', 0),
        special('[SEP]', 0),
        sequence('B', 1),
        special('[SEP]', 1),
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [cls], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [sep], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, id) => [token, id])),
    },
  }
}

const SPECIAL_TOKENS_MAP = {
  cls_token: '[CLS]',
  mask_token: '[MASK]',
  pad_token: '[PAD]',
  sep_token: '[SEP]',
  unk_token: '[UNK]',
} as const

/**
 * The tokenizer files of an uncased BERT repository: `tokenizer.json` (what transformers.js
 * reads), `tokenizer_config.json` (class, special tokens, `model_max_length`), plus
 * `special_tokens_map.json` and `vocab.txt` for tools that expect a complete repository.
 */
export function wordPieceFiles(vocab: readonly string[], maxLength: number): ModelFiles {
  const config = {
    clean_up_tokenization_spaces: true,
    ...SPECIAL_TOKENS_MAP,
    do_basic_tokenize: true,
    do_lower_case: true,
    model_max_length: maxLength,
    never_split: null,
    strip_accents: null,
    tokenize_chinese_chars: true,
    tokenizer_class: 'BertTokenizer',
  }
  return new Map<string, string | Uint8Array>([
    ['tokenizer.json', jsonFile(tokenizerJson(vocab))],
    ['tokenizer_config.json', jsonFile(config)],
    ['special_tokens_map.json', jsonFile(SPECIAL_TOKENS_MAP)],
    ['vocab.txt', `${vocab.join('\n')}\n`],
  ])
}
