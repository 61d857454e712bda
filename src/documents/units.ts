/**
 * The pieces chunk.ts packs: words, sentences and paragraphs of one section, as trimmed
 * character ranges into the document text.
 */
export interface Unit {
  readonly start: number
  readonly end: number
  /** What it costs against the chunk size: tokens, 1 sentence, or characters. */
  weight: number
}

export interface Range {
  readonly start: number
  readonly end: number
}

export function words(text: string, range: Range): Unit[] {
  const units: Unit[] = []
  for (const m of text.slice(range.start, range.end).matchAll(/\S+/g))
    units.push({
      start: range.start + m.index,
      end: range.start + m.index + m[0].length,
      weight: 0,
    })
  return units
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' })

export function sentences(text: string, range: Range): Unit[] {
  const units: Unit[] = []
  for (const s of segmenter.segment(text.slice(range.start, range.end))) {
    const trimmed = trim(text, range.start + s.index, range.start + s.index + s.segment.length)
    if (trimmed) units.push({ ...trimmed, weight: 1 })
  }
  return units
}

/** Paragraphs (split at blank lines); one longer than `max` characters is split into sentences, then at whitespace. */
export function paragraphs(text: string, range: Range, max: number): Unit[] {
  const units: Unit[] = []
  const slice = text.slice(range.start, range.end)
  let from = 0
  for (const m of [...slice.matchAll(/\n[ \t]*\n\s*/g), null]) {
    const to = m ? m.index : slice.length
    const p = trim(text, range.start + from, range.start + to)
    if (p) units.push(...fit(text, p, max))
    if (m) from = m.index + m[0].length
  }
  return units
}

function fit(text: string, p: Range, max: number): Unit[] {
  if (p.end - p.start <= max) return [{ ...p, weight: p.end - p.start }]
  return sentences(text, p).flatMap((s) =>
    s.end - s.start <= max ? [{ ...s, weight: s.end - s.start }] : hardSplit(text, s, max),
  )
}

function hardSplit(text: string, range: Range, max: number): Unit[] {
  const units: Unit[] = []
  let start = range.start
  while (start < range.end) {
    let end = Math.min(range.end, start + max)
    if (end < range.end) {
      const space = text.lastIndexOf(' ', end)
      if (space > start) end = space
    }
    const t = trim(text, start, end)
    if (t) units.push({ ...t, weight: t.end - t.start })
    start = end
  }
  return units
}

function trim(text: string, start: number, end: number): Range | undefined {
  while (start < end && /\s/.test(text[start]!)) start++
  while (end > start && /\s/.test(text[end - 1]!)) end--
  return end > start ? { start, end } : undefined
}
