/** The two document errors, both data errors (never retried): naming format, origin and what failed. */
import { VectorizeError } from '../worker/errors.ts'

export function invalidDocument(
  format: string,
  origin: string,
  what: string,
  cause?: unknown,
): VectorizeError {
  const reason = cause instanceof Error ? `: ${cause.message}` : ''
  return new VectorizeError('invalid_document', `${format} document ${origin} ${what}${reason}`, {
    ...(cause !== undefined && { cause }),
    details: { format, origin },
  })
}

export function documentTooLarge(
  format: string,
  origin: string,
  what: string,
  details: Record<string, unknown> = {},
): VectorizeError {
  return new VectorizeError('document_too_large', `${format} document ${origin} ${what}`, {
    details: { format, origin, ...details },
  })
}
