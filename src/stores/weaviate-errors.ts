/**
 * weaviate-client errors → VectorizeError, the one place that reads them, so the worker can route
 * on `retriable` alone. What reaches us (weaviate-client 3.12):
 *   - REST: WeaviateUnexpectedStatusCodeError with `code`, WeaviateUnauthenticatedError,
 *     WeaviateInsufficientPermissionsError, WeaviateRequestTimeoutError, or fetch's own TypeError
 *     ("fetch failed", the errno in `cause.code`) when nothing answers;
 *   - gRPC: WeaviateQueryError / WeaviateBatchError / WeaviateDeleteManyError whose message carries
 *     nice-grpc's status name ("/weaviate.v1.Weaviate/Search UNAVAILABLE: …"), and
 *     WeaviateGRPCUnavailableError / WeaviateStartUpError when the channel cannot be opened.
 * Infrastructure (nothing answers, timeouts, 5xx, 429, UNAVAILABLE, DEADLINE_EXCEEDED,
 * RESOURCE_EXHAUSTED, authentication, and a node that has just restarted: "error waiting for local
 * schema to catch up to version …: deadline exceeded", gRPC UNKNOWN on 1.35.2) is
 * `store_unavailable`, retriable; a request Weaviate refuses
 * (4xx, INVALID_ARGUMENT, UNKNOWN with a validation message) is `store_rejected`, not retriable;
 * anything else is `internal`.
 */
import { isAbort, VectorizeError } from '../worker/errors.ts'

const transientStatus = /\b(UNAVAILABLE|DEADLINE_EXCEEDED|RESOURCE_EXHAUSTED|ABORTED|CANCELLED)\b/
const transientText =
  /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|socket hang up|fetch failed|timed out|timeout|connection (refused|reset|closed)|other side closed|no connection established|not ready|shutting down|leader not found|could not find leader|raft|schema to catch up|deadline exceeded/i
const transientNames = new Set([
  'WeaviateRequestTimeoutError',
  'WeaviateGRPCUnavailableError',
  'WeaviateStartUpError',
  'WeaviateUnauthenticatedError',
  'WeaviateInsufficientPermissionsError',
])

/** The messages and errno codes of an error and its causes, joined. */
function describe(err: unknown): string {
  const parts: string[] = []
  let current: unknown = err
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(current.message)
      const code = (current as { code?: unknown }).code
      if (typeof code === 'string') parts.push(code)
      current = current.cause
    } else {
      parts.push(typeof current === 'string' ? current : JSON.stringify(current))
      break
    }
  }
  return parts.join(': ')
}

function isTransient(err: unknown, text: string): boolean {
  if (!(err instanceof Error)) return false
  if (transientNames.has(err.constructor.name) || transientNames.has(err.name)) return true
  const status = (err as { code?: unknown }).code
  if (typeof status === 'number' && (status >= 500 || status === 429 || status === 408)) return true
  return transientStatus.test(text) || transientText.test(text)
}

/** Translates anything the Weaviate client throws; `action` names the operation and collection. */
export function translateWeaviateError(err: unknown, action: string): VectorizeError {
  if (err instanceof VectorizeError) return err
  if (isAbort(err)) return new VectorizeError('cancelled', `${action}: cancelled`, { cause: err })
  const text = describe(err)
  const message = `${action}: ${text.length > 400 ? `${text.slice(0, 400)}…` : text}`
  if (isTransient(err, text)) {
    return new VectorizeError('store_unavailable', message, { cause: err })
  }
  if (err instanceof Error && err.constructor.name.startsWith('Weaviate')) {
    return new VectorizeError('store_rejected', message, { cause: err })
  }
  // Not from the client (a bug of ours): `internal`, not retried, like toVectorizeError.
  return new VectorizeError('internal', message, { cause: err })
}

/**
 * Per-object errors of a batch that say the server, not the object, is the problem: a node that
 * has just restarted answers every object with "resolve node name … to host" until its cluster
 * state is up (seen on 1.35.2 after a restart), and a shard on a full disk is read-only. The whole
 * write is then retried instead of failing the tasks.
 */
const transientObjectError =
  /resolve node name|not ready|shutting down|context deadline exceeded|deadline exceeded|timed? ?out|connection refused|no such host|unavailable|leader|read-?only|memory pressure|out of memory/i

export function isTransientObjectError(reason: string): boolean {
  return transientObjectError.test(reason)
}
