/**
 * The one error type of the project. Adapters translate vendor errors into it; the worker routes on
 * `retriable` alone (see `retry.ts`), never on message text.
 */
export const errorCodes = [
  // data errors: the message or its content is wrong; never retried, reported and dead-lettered
  'invalid_json',
  'invalid_task',
  'unsafe_json',
  'unsupported_task_type',
  'unsupported_version',
  'empty_text',
  'input_too_large',
  'unknown_model',
  'dimension_mismatch',
  'model_mismatch',
  'store_rejected',
  'invalid_image',
  'invalid_document',
  'document_too_large',
  'path_not_allowed',
  'url_not_allowed',
  'fetch_failed',
  'fetch_timeout',
  'too_many_redirects',
  'crash_loop',
  // a record vectorize produces (a result, a status) is over kafka.max_message_bytes or the topic's
  // max.message.bytes: caused by the message, so that message fails alone (issue 10)
  'record_too_large',
  // infrastructure errors: retried with backoff, never dead-lettered
  'store_unavailable',
  'source_unavailable',
  'reporter_unavailable',
  'redis_unavailable',
  'inference_failed',
  'timeout',
  // start-up and operator errors
  'config_invalid',
  'model_not_found',
  'model_load_failed',
  'not_found',
  'invalid_argument',
  'cancelled',
  'internal',
] as const

export type ErrorCode = (typeof errorCodes)[number]

export interface ErrorOptions {
  readonly retriable?: boolean
  readonly cause?: unknown
  /** Machine-readable context (setting name, path tried, item index...). Never payload content. */
  readonly details?: Readonly<Record<string, unknown>>
}

export class VectorizeError extends Error {
  readonly code: ErrorCode
  readonly retriable: boolean
  readonly details: Readonly<Record<string, unknown>>

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'VectorizeError'
    this.code = code
    this.retriable = options.retriable ?? false
    this.details = options.details ?? {}
  }

  toJSON(): { code: ErrorCode; message: string; retriable: boolean } {
    return { code: this.code, message: this.message, retriable: this.retriable }
  }
}

/** Wraps anything thrown into a VectorizeError; unknown errors are `internal` and not retriable. */
export function toVectorizeError(err: unknown): VectorizeError {
  if (err instanceof VectorizeError) return err
  if (isAbort(err))
    return new VectorizeError('cancelled', 'operation was cancelled', { cause: err })
  const message = err instanceof Error ? err.message : String(err)
  return new VectorizeError('internal', message, { cause: err })
}

export function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')
}
