/**
 * The design that makes a random BERT's mean-pooled vectors useful for search. LayerNorm gives
 * every token's output the same norm, so without it "the", "." and [CLS], present in every text,
 * would make all texts look alike. Instead, the hidden dimensions are split in two:
 *
 * - content dimensions carry content words. Words of one topic in `words.ts` share a direction,
 *   so "ocean" and "beach" start out related;
 * - the last eighth, the function subspace, carries function words, punctuation, special tokens
 *   and position/token-type embeddings. Value, output and FFN-input weights never move it into
 *   the content dimensions, and the last LayerNorm scales it down to 1%.
 *
 * Pooled vectors then mostly count shared content words and topics (a crude built-in IDF), while
 * every layer remains a real transformer layer in which attention mixes context.
 */
import { Prng } from './prng.ts'
import type { WeightPatch } from './weights.ts'
import { BERT_SPECIAL_TOKENS } from './wordpiece.ts'
import { functionWords, wordTopics } from './words.ts'

const WORD_STD = 0.1
/** Expected cosine between the embeddings of two words of one topic. */
const TOPIC_SIMILARITY = 0.5
/** Final LayerNorm gain on the function subspace: how little function tokens weigh when pooled. */
const FUNCTION_GAIN = 0.01

/** The function subspace: the last eighth of the hidden dimensions (at least 4). */
export function functionDims(hidden: number): { readonly start: number; readonly count: number } {
  const count = Math.max(4, Math.floor(hidden / 8))
  return { start: hidden - count, count }
}

function isFunctionToken(token: string, fn: ReadonlySet<string>): boolean {
  const special = (BERT_SPECIAL_TOKENS as readonly string[]).includes(token)
  return special || fn.has(token) || !/[a-z0-9]/.test(token)
}

/** One embedding row, written into `table` at row `id`. */
function writeRow(
  table: Float32Array,
  id: number,
  row: Float32Array,
  from: number,
  to: number,
): void {
  const h = row.length
  for (let j = 0; j < h; j++) table[id * h + j] = j >= from && j < to ? (row[j] ?? 0) : 0
}

/**
 * [vocab, hidden] word embeddings: content tokens in the content dimensions (topic direction plus
 * their own), function tokens in the function subspace, both with the same expected norm.
 */
export function wordEmbeddings(
  seed: string,
  vocab: readonly string[],
  hidden: number,
): Float32Array {
  const { start, count } = functionDims(hidden)
  const own = new Prng(`${seed}/embeddings.word_embeddings.weight`)
  const topicVectors = new Map<string, Float32Array>()
  const topicVector = (topic: string): Float32Array => {
    const vector =
      topicVectors.get(topic) ?? new Prng(`${seed}/topic/${topic}`).normals(hidden, WORD_STD)
    topicVectors.set(topic, vector)
    return vector
  }
  const topics = wordTopics()
  const fn = functionWords()
  const table = new Float32Array(vocab.length * hidden)
  const [shared, rest] = [Math.sqrt(TOPIC_SIMILARITY), Math.sqrt(1 - TOPIC_SIMILARITY)]
  vocab.forEach((token, id) => {
    const row = own.normals(hidden, WORD_STD)
    if (isFunctionToken(token, fn)) {
      row.forEach((v, j) => (row[j] = v * Math.sqrt(start / count)))
      return writeRow(table, id, row, start, hidden)
    }
    const topic = topics.get(token)
    if (topic !== undefined) {
      const direction = topicVector(topic)
      row.forEach((v, j) => (row[j] = shared * (direction[j] ?? 0) + rest * v))
    }
    writeRow(table, id, row, 0, start)
  })
  return table
}

/** Zeroes entries of a row-major [rows, cols] matrix where `drop(row, col)`. */
function zeroWhere(
  data: Float32Array,
  cols: number,
  drop: (row: number, col: number) => boolean,
): void {
  for (let k = 0; k < data.length; k++) if (drop(Math.floor(k / cols), k % cols)) data[k] = 0
}

/** Keeps the function subspace out of the content dimensions in every layer (see above). */
export function subspacePatch(hidden: number, layers: number): WeightPatch {
  const { start } = functionDims(hidden)
  const lastNorm = `encoder.layer.${layers - 1}.output.LayerNorm.weight`
  return (name, data, dims) => {
    const cols = dims[dims.length - 1] ?? 1
    if (/position_embeddings|token_type_embeddings/.test(name)) {
      zeroWhere(data, cols, (_, col) => col < start)
    } else if (/attention\.self\.value\.weight$|attention\.output\.dense\.weight$/.test(name)) {
      zeroWhere(data, cols, (row, col) => row >= start && col < start)
    } else if (/intermediate\.dense\.weight$/.test(name)) {
      zeroWhere(data, cols, (row) => row >= start)
    } else if (name === lastNorm) {
      data.fill(FUNCTION_GAIN, start)
    }
  }
}
