/**
 * Task content to bytes: a guarded local path, base64 data, or (when `content.allow_urls`) a
 * guarded download (`fetch.ts`).
 */
import { VectorizeError } from '../worker/errors.ts'
import type { ContentLimits, ContentSource } from './content.ts'
import { fetchUrl, type FetchOptions } from './fetch.ts'
import { readAllowedFile, tooLarge } from './paths.ts'

export interface ContentBytes {
  readonly bytes: Buffer
  /** Where they came from, for metadata: the path as given, the final URL, or `base64`. */
  readonly origin: string
}

export async function readContent(
  source: ContentSource,
  limits: ContentLimits,
  options: FetchOptions = {},
): Promise<ContentBytes> {
  if ('path' in source)
    return {
      bytes: await readAllowedFile(source.path, limits.allowed_roots, limits.max_fetch_bytes),
      origin: source.path,
    }
  if ('base64' in source) return { bytes: fromBase64(source.base64, limits), origin: 'base64' }
  if (!limits.allow_urls)
    throw new VectorizeError(
      'url_not_allowed',
      'content URLs are disabled (content.allow_urls: false); send a path or base64',
    )
  const { bytes, url } = await fetchUrl(source.url, limits, options)
  return { bytes, origin: url }
}

/** Accepts bare base64 or a `data:...;base64,` URL; the size is checked before decoding. */
function fromBase64(text: string, limits: ContentLimits): Buffer {
  const data = text.replace(/^data:[^,]*;base64,/, '')
  const estimate = Math.floor((data.length * 3) / 4)
  if (estimate > limits.max_fetch_bytes)
    throw tooLarge('base64 content', estimate, limits.max_fetch_bytes)
  if (!/^[A-Za-z0-9+/_\-\s]*={0,2}\s*$/.test(data))
    throw new VectorizeError('invalid_task', 'content base64 is not valid base64')
  return Buffer.from(data, 'base64')
}
