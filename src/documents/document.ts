/**
 * The document parsers' contract: bytes of one format in, plain text out with sections that say
 * where each part sits (PDF page, heading path) by character offsets into that text. One parser
 * per format next to this file, registered in index.ts (all but plain text run in a parser thread,
 * pool.ts, bounded by `content.max_document_ms`); chunk.ts cuts the text into chunks.
 */
import { defaultContentLimits, type ContentLimits } from '../content/content.ts'
import type { MessageLimits } from '../protocol/parse.ts'
import type { documentFormats } from '../protocol/task.ts'

export type DocumentFormat = (typeof documentFormats)[number]

/** A run of `text` with one location: chunks never cross a section boundary. */
export interface Section {
  /** Character offsets into `ParsedDocument.text`, `start` inclusive, `end` exclusive. */
  readonly start: number
  readonly end: number
  /** 1-based PDF page. */
  readonly page?: number
  /** Enclosing headings, outermost first (Markdown, HTML, DOCX, JSON field paths). */
  readonly headingPath?: readonly string[]
  /** Metadata chunks of this section carry (JSON metadata fields). */
  readonly metadata?: Readonly<Record<string, unknown>>
}

export interface ParsedDocument {
  readonly title?: string
  readonly text: string
  /** Ordered, non-overlapping; text outside every section is not chunked. */
  readonly sections: readonly Section[]
  /** Document-level metadata every chunk carries (PDF page count, JSON metadata fields). */
  readonly metadata?: Readonly<Record<string, unknown>>
}

/** Which JSON fields are text and which are metadata (dotted paths). */
export interface JsonFields {
  readonly text: readonly string[]
  readonly metadata?: readonly string[]
}

/** What bounds a parse: config `content` (pages, time, zip) and `processing.max_metadata_bytes`. */
export type DocumentLimits = Pick<
  ContentLimits,
  'max_pdf_pages' | 'max_document_ms' | 'max_zip_entries' | 'max_zip_bytes' | 'max_zip_ratio'
> &
  Pick<MessageLimits, 'max_metadata_bytes'>

/** The schema's defaults (tests, benchmarks). */
export const defaultDocumentLimits: DocumentLimits = {
  ...defaultContentLimits,
  max_metadata_bytes: 16_384,
}

export interface ParseInput {
  readonly bytes: Buffer
  /** Where the bytes came from (path, URL, `content`), for error messages. */
  readonly origin: string
  readonly limits: DocumentLimits
  readonly fields?: JsonFields
  readonly signal: AbortSignal
}

/** A parse as a parser thread runs it: no signal, the thread is terminated instead (pool.ts). */
export type ParseJob = Omit<ParseInput, 'signal'>

export interface DocumentParser {
  readonly format: DocumentFormat
  parse(input: ParseInput): Promise<ParsedDocument>
}
