/**
 * The content guards' contract: the limits every reader and decoder of task content applies
 * (config `content`, SPEC §4.1). Readers return bytes; decoders turn bytes into model input.
 */
export interface ContentLimits {
  /** Local paths tasks may read, realpath-checked; empty = no local reads. */
  readonly allowed_roots: readonly string[]
  readonly allow_urls: boolean
  /** URL schemes allowed (only http and https are ever supported). */
  readonly allowed_schemes: readonly string[]
  /** Networks URLs may reach besides public unicast addresses (tests, trusted internal sources). */
  readonly url_allow_networks: readonly string[]
  /** Largest file read, download or base64 payload, in bytes. */
  readonly max_fetch_bytes: number
  /** One deadline for a whole download, redirects and a stalled body included. */
  readonly fetch_timeout_ms: number
  readonly max_redirects: number
  /** Largest decoded image, width × height. */
  readonly max_image_pixels: number
  /** Document guards (src/documents): PDF pages, chunks, parse time, zip (DOCX) limits. */
  readonly max_pdf_pages: number
  readonly max_chunks_per_document: number
  readonly max_document_ms: number
  readonly max_zip_entries: number
  readonly max_zip_bytes: number
  readonly max_zip_ratio: number
}

/** Safe defaults, the schema's: no local roots, no URLs. */
export const defaultContentLimits: ContentLimits = {
  allowed_roots: [],
  allow_urls: false,
  allowed_schemes: ['https'],
  url_allow_networks: [],
  max_fetch_bytes: 32 * 1024 * 1024,
  fetch_timeout_ms: 30_000,
  max_redirects: 3,
  max_image_pixels: 40_000_000,
  max_pdf_pages: 2_000,
  max_chunks_per_document: 10_000,
  max_document_ms: 60_000,
  max_zip_entries: 2_000,
  max_zip_bytes: 256 * 1024 * 1024,
  max_zip_ratio: 200,
}

/** Where the bytes of an image or document come from (one of the three, per the task schema). */
export type ContentSource = { path: string } | { url: string } | { base64: string }
