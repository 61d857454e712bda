/**
 * Inputs for the content benchmark, generated into a directory from a seed so that runs compare:
 * images (PNG and JPEG at a few sizes: smooth seeded patterns with some noise, so the encoders
 * have real work) and documents (the same P pages of corpus text as one PDF, one DOCX, and
 * Markdown and HTML files of a few pages each).
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { makeDocx as makeTestDocx, makePdf as makeTestPdf } from '../../test/helpers/documents.ts'
import { seeded } from './vectors.ts'

export interface InputFile {
  readonly path: string
  readonly bytes: number
}

export interface ImageInput extends InputFile {
  readonly size: number
  readonly format: 'png' | 'jpeg'
}

/** RGB pixels: per channel a seeded wave across x plus one across y (separable: cheap), ±8 noise. */
function pattern(size: number, random: () => number): Buffer {
  const wave = () => {
    const f = (1 + random() * 6) / size
    const phase = random() * Math.PI * 2
    return Float64Array.from({ length: size }, (_, i) => Math.sin(2 * Math.PI * f * i + phase))
  }
  const waves = [0, 1, 2].map(() => ({ x: wave(), y: wave() }))
  const pixels = Buffer.alloc(size * size * 3)
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) {
        const w = waves[c]!
        const v = 128 + 55 * (w.x[x]! + w.y[y]!) + (random() - 0.5) * 16
        pixels[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, v))
      }
    }
  }
  return pixels
}

/** `count` images, sizes and formats taken in turn (so every size has both formats). */
export async function makeImages(
  dir: string,
  count: number,
  sizes: readonly number[],
  seed: number,
): Promise<ImageInput[]> {
  const random = seeded(seed)
  const formats = ['png', 'jpeg'] as const
  const images: ImageInput[] = []
  for (let i = 0; i < count; i++) {
    const size = sizes[i % sizes.length]!
    const format = formats[Math.floor(i / sizes.length) % formats.length]!
    const raw = { width: size, height: size, channels: 3 as const }
    const bytes = await sharp(pattern(size, random), { raw }).toFormat(format).toBuffer()
    const path = join(dir, `image-${String(i).padStart(4, '0')}-${size}.${format}`)
    await writeFile(path, bytes)
    images.push({ path, bytes: bytes.length, size, format })
  }
  return images
}

/** One page of prose: corpus passages drawn with the seed until about `words` words. */
export function makePages(
  corpus: readonly string[],
  pages: number,
  words: number,
  seed: number,
): string[] {
  const random = seeded(seed)
  const out: string[] = []
  for (let p = 0; p < pages; p++) {
    const parts: string[] = []
    let count = 0
    while (count < words) {
      const text = corpus[Math.floor(random() * corpus.length)]!
      parts.push(text)
      count += text.split(/\s+/).length
    }
    out.push(parts.join(' '))
  }
  return out
}

export function makePdf(pages: readonly string[]): Promise<Buffer> {
  return makeTestPdf(pages, 'bench')
}

/** A heading per page, then its text in paragraphs of a few sentences. */
export function makeDocx(pages: readonly string[]): Promise<Buffer> {
  return makeTestDocx(
    pages.flatMap((text, i) => [
      { heading: 2 as const, text: `Page ${i + 1}` },
      ...paragraphs(text).map((p) => ({ text: p })),
    ]),
  )
}

export function markdown(pages: readonly string[], first: number): string {
  return pages
    .map((text, i) => `## Page ${first + i + 1}\n\n${paragraphs(text).join('\n\n')}\n`)
    .join('\n')
}

export function html(pages: readonly string[], first: number): string {
  const body = pages
    .map(
      (text, i) =>
        `<h2>Page ${first + i + 1}</h2>\n` +
        paragraphs(text)
          .map((p) => `<p>${escapeHtml(p)}</p>`)
          .join('\n'),
    )
    .join('\n')
  return `<!doctype html>\n<html><head><title>bench</title></head><body>\n${body}\n</body></html>\n`
}

function paragraphs(text: string): string[] {
  const sentences = text.split(/(?<=[.!?])\s+/)
  const out: string[] = []
  for (let i = 0; i < sentences.length; i += 4) out.push(sentences.slice(i, i + 4).join(' '))
  return out
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
