/**
 * The parser registry, and how a task's format is decided: the task's `format`, else the
 * extension of its path or URL, else plain text. Plain text is decoded in place (one linear
 * pass, no parser); every other format is parsed in a parser thread (pool.ts), one per core at most.
 */
import { availableParallelism } from 'node:os'
import type { DocumentFormat, DocumentParser } from './document.ts'
import { ParseThreads, type ThreadedFormat } from './pool.ts'
import { textParser } from './text.ts'

const threads = new ParseThreads(availableParallelism())

const threaded = (format: ThreadedFormat): DocumentParser => ({
  format,
  parse: (input) => threads.parse(format, input),
})

export const parsers: { readonly [F in DocumentFormat]: DocumentParser } = {
  txt: textParser,
  md: threaded('md'),
  html: threaded('html'),
  pdf: threaded('pdf'),
  docx: threaded('docx'),
  json: threaded('json'),
}

const EXTENSIONS: Readonly<Record<string, DocumentFormat>> = {
  txt: 'txt',
  text: 'txt',
  md: 'md',
  markdown: 'md',
  html: 'html',
  htm: 'html',
  xhtml: 'html',
  pdf: 'pdf',
  docx: 'docx',
  json: 'json',
}

export function formatOf(source: {
  format?: DocumentFormat
  path?: string
  url?: string
}): DocumentFormat {
  if (source.format) return source.format
  const name = source.path ?? urlPath(source.url)
  const ext = /\.([A-Za-z0-9]+)$/.exec(name ?? '')?.[1]?.toLowerCase()
  return (ext && Object.hasOwn(EXTENSIONS, ext) && EXTENSIONS[ext]) || 'txt'
}

function urlPath(url: string | undefined): string | undefined {
  if (!url) return undefined
  try {
    return new URL(url).pathname
  } catch {
    return url
  }
}

/** Formats whose inline `content` is base64 (binary formats); the others take the text itself. */
export const binaryFormats: readonly DocumentFormat[] = ['pdf', 'docx']
