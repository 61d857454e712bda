/**
 * A document task's bytes: a guarded path or URL through readContent, or the inline `content`
 * (the text itself; base64 for the binary formats pdf and docx), size-checked the same way.
 */
import type { ContentLimits } from '../content/content.ts'
import { tooLarge } from '../content/paths.ts'
import { readContent, type ContentBytes } from '../content/read.ts'
import type { DocumentFormat } from '../documents/document.ts'
import { binaryFormats } from '../documents/index.ts'
import type { DocumentTask } from '../protocol/task.ts'

export async function readDocument(
  source: DocumentTask['document'],
  format: DocumentFormat,
  limits: ContentLimits,
  signal: AbortSignal,
): Promise<ContentBytes> {
  if ('path' in source) return readContent({ path: source.path }, limits)
  if ('url' in source) return readContent({ url: source.url }, limits, { signal })
  if (binaryFormats.includes(format)) return readContent({ base64: source.content }, limits)
  const bytes = Buffer.from(source.content, 'utf8')
  if (bytes.length > limits.max_fetch_bytes)
    throw tooLarge('document content', bytes.length, limits.max_fetch_bytes)
  return { bytes, origin: 'content' }
}
