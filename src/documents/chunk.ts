/**
 * Cuts a parsed document into chunks, never across a section (a PDF page, a heading's section, a
 * JSON field), so each chunk's page and heading path are exact. Strategies, with size and overlap:
 * - `tokens` (default): words packed up to `size` tokens of the model's own tokenizer, special
 *   tokens included, so no chunk is truncated; `overlap` tokens of whole words repeat. Defaults
 *   256 (capped at the model's limit) / 32.
 * - `sentences`: `size` sentences per chunk, `overlap` sentences repeated. Defaults 5 / 1.
 * - `paragraphs`: paragraphs (blank-line separated) packed up to `size` characters, whole
 *   paragraphs of at most `overlap` characters repeated; a longer paragraph is split at
 *   sentences. Defaults 2000 / 0.
 */
import { VectorizeError } from '../worker/errors.ts'
import type { ParsedDocument, Section } from './document.ts'
import { paragraphs, sentences, words, type Unit } from './units.ts'

export type Strategy = 'tokens' | 'sentences' | 'paragraphs'

export interface ChunkSettings {
  readonly strategy: Strategy
  readonly size: number
  readonly overlap: number
}

export interface Chunk {
  readonly index: number
  readonly text: string
  /** Character offsets into the document text. */
  readonly start: number
  readonly end: number
  readonly section: Section
}

/** Tokens of each text with the model's tokenizer, special tokens included. */
export type TokenCounter = (texts: readonly string[]) => Promise<number[]>

export const chunkDefaults = {
  tokens: { size: 256, overlap: 32 },
  sentences: { size: 5, overlap: 1 },
  paragraphs: { size: 2000, overlap: 0 },
} as const

export function chunkSettings(
  asked: { strategy?: Strategy; size?: number; overlap?: number } | undefined,
  maxTokens: number,
): ChunkSettings {
  const strategy = asked?.strategy ?? 'tokens'
  const defaults = chunkDefaults[strategy]
  let size = asked?.size ?? defaults.size
  if (strategy === 'tokens') size = Math.min(size, maxTokens)
  const overlap = asked?.overlap ?? Math.min(defaults.overlap, Math.floor(size / 4))
  if (overlap >= size)
    throw new VectorizeError(
      'invalid_task',
      `chunking.overlap (${overlap}) must be smaller than chunking.size (${size}) for ${strategy}`,
    )
  return { strategy, size, overlap }
}

export async function chunkDocument(
  doc: ParsedDocument,
  settings: ChunkSettings,
  countTokens?: TokenCounter,
): Promise<Chunk[]> {
  const perSection = doc.sections.map((section) => unitsOf(doc.text, section, settings))
  let budget = settings.size
  if (settings.strategy === 'tokens') {
    if (!countTokens) throw new Error('chunking by tokens needs a token counter')
    budget -= await weighWords(doc.text, perSection.flat(), countTokens)
    if (budget < 1)
      throw new VectorizeError(
        'invalid_task',
        `chunking.size ${settings.size} leaves no room for text after the special tokens`,
      )
  }
  const chunks: Chunk[] = []
  doc.sections.forEach((section, s) => {
    for (const [i, j] of pack(perSection[s]!, budget, settings.overlap)) {
      const start = perSection[s]![i]!.start
      const end = perSection[s]![j]!.end
      chunks.push({ index: chunks.length, text: doc.text.slice(start, end), start, end, section })
    }
  })
  return chunks
}

function unitsOf(text: string, section: Section, settings: ChunkSettings): Unit[] {
  if (settings.strategy === 'tokens') return words(text, section)
  if (settings.strategy === 'sentences') return sentences(text, section)
  return paragraphs(text, section, settings.size)
}

/** Sets each word's weight to its token count; returns the special tokens every chunk adds. */
async function weighWords(text: string, units: Unit[], count: TokenCounter): Promise<number> {
  const unique = [...new Set(units.map((u) => text.slice(u.start, u.end)))]
  const tokens = new Map<string, number>()
  const [special = 0] = await count([''])
  for (let i = 0; i < unique.length; i += 4096) {
    const batch = unique.slice(i, i + 4096)
    const counts = await count(batch)
    batch.forEach((w, k) => tokens.set(w, Math.max(1, counts[k]! - special)))
  }
  for (const u of units) u.weight = tokens.get(text.slice(u.start, u.end)) ?? 1
  return special
}

/**
 * Greedy packing: each chunk takes units while their weight fits `size` (a single unit over
 * `size` is a chunk of its own); the next starts as far back as `overlap` allows, always
 * moving forward by at least one unit.
 */
export function pack(units: readonly Unit[], size: number, overlap: number): [number, number][] {
  const ranges: [number, number][] = []
  let i = 0
  while (i < units.length) {
    let j = i
    let weight = units[i]!.weight
    while (j + 1 < units.length && weight + units[j + 1]!.weight <= size)
      weight += units[++j]!.weight
    ranges.push([i, j])
    if (j + 1 >= units.length) break
    let k = j + 1
    let back = 0
    while (k - 1 > i && back + units[k - 1]!.weight <= overlap) back += units[--k]!.weight
    i = k
  }
  return ranges
}
