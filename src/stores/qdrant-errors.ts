/**
 * Qdrant errors → VectorizeError. The REST client throws `ApiError`-shaped errors (`status` and
 * the parsed body `data`, whose `status.error` is Qdrant's message), fetch's `TypeError` with a
 * socket error as `cause` when the server cannot be reached, and `AbortError`/`TimeoutError` when
 * a request's signal fires. Only this file reads them, so the worker routes on `retriable` alone.
 */
import { VectorizeError } from '../worker/errors.ts'

/** Statuses a later attempt can succeed on: timeout, rate limit, server and gateway errors. */
function retriableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500
}

/** Qdrant's message: `{status: {error}}` for its own errors, a plain text body for some proxies. */
export function serverMessage(data: unknown): string | undefined {
  if (typeof data === 'string' && data.trim() !== '') return data.trim().slice(0, 500)
  if (typeof data !== 'object' || data === null) return undefined
  const status = (data as { status?: unknown }).status
  if (typeof status === 'object' && status !== null) {
    const error = (status as { error?: unknown }).error
    if (typeof error === 'string') return error
  }
  return undefined
}

function httpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const status = (err as { status?: unknown }).status
  return typeof status === 'number' ? status : undefined
}

/** What the socket layer said (ECONNREFUSED, ECONNRESET, ENOTFOUND...), if anything. */
function socketCause(err: unknown): string | undefined {
  let cause: unknown = err instanceof Error ? err.cause : undefined
  for (let depth = 0; cause instanceof Error && depth < 4; depth++) {
    const code = (cause as { code?: unknown }).code
    if (typeof code === 'string') return `${code}: ${cause.message}`
    cause = cause.cause
  }
  return err instanceof TypeError ? err.message : undefined
}

/**
 * Translates what a Qdrant request threw. `action` names the operation and collection; `signal` is
 * the caller's, so its abort reads `cancelled` while our own request timeout reads retriable.
 */
export function translateQdrantError(
  err: unknown,
  action: string,
  signal: AbortSignal,
): VectorizeError {
  if (err instanceof VectorizeError) return err
  if (signal.aborted) {
    return new VectorizeError('cancelled', `${action}: cancelled`, { cause: err })
  }
  const unavailable = (why: string, details: Record<string, unknown> = {}) =>
    new VectorizeError('store_unavailable', `${action}: ${why}`, {
      cause: err,
      details,
    })
  const name = err instanceof Error ? err.name : ''
  if (name === 'TimeoutError' || name === 'AbortError' || name === 'QdrantClientTimeoutError') {
    return unavailable('Qdrant did not answer in time')
  }
  const status = httpStatus(err)
  if (status !== undefined) {
    const message = serverMessage((err as { data?: unknown }).data) ?? `HTTP ${status}`
    // A wrong API key fails every request alike: retrying (and alerting) beats dead-lettering
    // every task while an operator fixes the configuration.
    if (status === 401 || status === 403) {
      const hint = 'check vector_databases.qdrant.api_key'
      return unavailable(`Qdrant answered ${status}: ${message} (${hint})`, { status })
    }
    if (retriableStatus(status))
      return unavailable(`Qdrant answered ${status}: ${message}`, { status })
    return new VectorizeError(
      'store_rejected',
      `${action}: Qdrant refused (${status}): ${message}`,
      {
        cause: err,
        details: { status },
      },
    )
  }
  if (name === 'QdrantClientResourceExhaustedError') return unavailable('rate limited by Qdrant')
  if (name === 'QdrantClientUnexpectedResponseError') {
    return unavailable(`unexpected answer: ${(err as Error).message.split('\n')[0] ?? ''}`)
  }
  const socket = socketCause(err)
  if (socket !== undefined) return unavailable(`cannot reach Qdrant (${socket})`)
  const message = err instanceof Error ? err.message : String(err)
  return new VectorizeError('internal', `${action}: ${message}`, { cause: err })
}

/** The HTTP status behind a translated error, if it came from one. */
export function status(err: unknown): number | undefined {
  if (!(err instanceof VectorizeError)) return undefined
  const value = err.details.status
  return typeof value === 'number' ? value : undefined
}

/**
 * Qdrant refused the points themselves (400 bad input, 413/422 too large or invalid): splitting
 * the batch isolates them. A 404 (collection gone) or any retriable error concerns every point.
 */
export function refusedPoints(err: unknown): boolean {
  const code = status(err)
  return code === 400 || code === 413 || code === 422
}
