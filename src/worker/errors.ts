/**
 * The one error type of the project. Adapters translate vendor errors into it; the worker routes on
 * `retriable` alone (see `retry.ts`), never on message text. Whether an error is retried is a
 * property of its code, decided once in `errorTable` below (issue 10: it used to be chosen again at
 * every site, and disagreed with itself). The README's error table is generated from it.
 */

/**
 * - `data`: the message or what it points at is wrong; retrying gives the same answer. The task
 *   fails with the code and is dead-lettered; the worker goes on.
 * - `infrastructure`: a service or the inference thread is down or slow; retried with backoff. If
 *   it outlives `processing.retry`, the worker stops without committing (exit 75).
 * - `operator`: set-up, arguments, the process itself; not retried. At start-up the command exits
 *   with its code; met by a task, the task fails and is dead-lettered like a data error.
 */
export type ErrorClass = 'data' | 'infrastructure' | 'operator'

export interface ErrorKind {
  readonly class: ErrorClass
  readonly retriable: boolean
  /** One line for the README's error table. */
  readonly meaning: string
}

const data = (meaning: string): ErrorKind => ({ class: 'data', retriable: false, meaning })
const infrastructure = (meaning: string): ErrorKind => ({
  class: 'infrastructure',
  retriable: true,
  meaning,
})
const operator = (meaning: string): ErrorKind => ({ class: 'operator', retriable: false, meaning })

export const errorTable = {
  invalid_json: data('not JSON, or not UTF-8'),
  invalid_task: data('fails the task schema (the message names the field), or an unknown `type`'),
  unsafe_json: data('a `__proto__` or `constructor.prototype` key'),
  unsupported_task_type: data('a task type this worker does not run'),
  unsupported_version: data('a protocol `version` other than 1'),
  empty_text: data('a text (or item) with nothing to embed; names the item'),
  input_too_large: data('over a `processing` limit (bytes, items, metadata); names the limit'),
  unknown_model: data('the task names a model that is not available; names every path tried'),
  dimension_mismatch: data("the collection holds vectors of another dimension than the model's"),
  model_mismatch: data('the collection was made with another model'),
  store_rejected: data('the store refused these objects (the others are written)'),
  inference_rejected: data('the model failed on this input (the others of its batch succeed)'),
  invalid_image: data('an image that cannot be decoded, or over the pixel limit'),
  invalid_document: data('an unreadable document'),
  document_too_large: data('a document over a page, zip, chunk or parse-time limit'),
  path_not_allowed: data('a content path outside `content.allowed_roots`'),
  url_not_allowed: data('a content URL refused by the `content` settings'),
  fetch_failed: data('a content URL answered with an HTTP error, or could not be reached'),
  fetch_timeout: data('a content URL took longer than `content.fetch_timeout_ms`'),
  too_many_redirects: data('a content URL redirected more than `content.max_redirects` times'),
  crash_loop: data('worker processes kept dying with this message in flight (Kafka)'),
  task_timeout: data('the task ran longer than `processing.task_timeout_ms`'),
  record_too_large: data(
    'a record made for this message (result, status) is over `kafka.max_message_bytes` or the topic limit',
  ),
  internal: data(
    'an error that could not be classified; the task fails rather than block the queue',
  ),
  store_unavailable: infrastructure('the vector store cannot be reached, or failed'),
  source_unavailable: infrastructure(
    'the task source (Kafka, the embedded queue) cannot be reached',
  ),
  reporter_unavailable: infrastructure('status, result or dead-letter records cannot be written'),
  redis_unavailable: infrastructure('Redis cannot be reached (heartbeats; never stops the work)'),
  inference_failed: infrastructure('the inference thread died or restarted; the models reload'),
  timeout: infrastructure('a call to a service did not answer in time'),
  source_refused: operator(
    'the broker refused the task source for good: configuration, credentials, authorisation',
  ),
  reporter_refused: operator(
    'the broker refused status, result or dead-letter records for good (same causes)',
  ),
  queue_locked: operator('the embedded queue is being consumed by another worker process'),
  queue_damaged: operator("the embedded queue's commit file is damaged or does not match its log"),
  config_invalid: operator('invalid configuration; names the setting'),
  model_not_found: operator('the default model is not on disk and cannot be downloaded'),
  model_load_failed: operator('the model files are there but do not load'),
  not_found: operator('the named task, collection or file does not exist'),
  invalid_argument: operator('a command-line argument is wrong'),
  cancelled: operator('stopped by a shutdown or a cancellation'),
  unhandled_error: operator('an error nothing handled (a bug): the worker stops, exit 70'),
} as const satisfies Record<string, ErrorKind>

export type ErrorCode = keyof typeof errorTable

export const errorCodes = Object.keys(errorTable) as [ErrorCode, ...ErrorCode[]]

export const errorKind = (code: ErrorCode): ErrorKind => errorTable[code]

export interface ErrorOptions {
  readonly cause?: unknown
  /** Machine-readable context (setting name, path tried, item index...). Never payload content. */
  readonly details?: Readonly<Record<string, unknown>>
}

export class VectorizeError extends Error {
  readonly code: ErrorCode
  readonly details: Readonly<Record<string, unknown>>

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'VectorizeError'
    this.code = code
    this.details = options.details ?? {}
  }

  /** Whether it is retried: a property of the code (`errorTable`), never of the site. */
  get retriable(): boolean {
    return errorTable[this.code].retriable
  }

  get class(): ErrorClass {
    return errorTable[this.code].class
  }

  toJSON(): { code: ErrorCode; message: string; retriable: boolean } {
    return { code: this.code, message: this.message, retriable: this.retriable }
  }
}

/**
 * Wraps anything thrown into a VectorizeError: a signal's timeout is `timeout` (retried), any other
 * abort `cancelled`; unknown errors are `internal` and not retried.
 */
export function toVectorizeError(err: unknown): VectorizeError {
  if (err instanceof VectorizeError) return err
  if (err instanceof Error && err.name === 'TimeoutError')
    return new VectorizeError('timeout', 'operation timed out', { cause: err })
  if (isAbort(err))
    return new VectorizeError('cancelled', 'operation was cancelled', { cause: err })
  const message = err instanceof Error ? err.message : String(err)
  return new VectorizeError('internal', message, { cause: err })
}

export function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')
}
