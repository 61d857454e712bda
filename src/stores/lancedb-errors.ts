/**
 * LanceDB errors → VectorizeError. The Node SDK throws plain `Error`s whose `code` is always
 * "GenericFailure", so the message text is the only signal (checked on 0.31); this is the one
 * place that reads it, so the worker can route on `retriable` alone.
 */
import { isAbort, VectorizeError } from '../worker/errors.ts'

/**
 * Transient: another writer won the commit (lancedb#725, #1504: "Commit conflict … Failed to
 * commit the transaction after 5 retries"), or the disk/object store failed. Retrying can work.
 */
const unavailable =
  /commit conflict|retryable|too many concurrent|\bio error|\(os error \d+\)|object store|timed out|timeout|no space left|permission denied|read-only file system|too many open files|broken pipe|connection/i

/** The request itself is wrong (bad SQL, schema mismatch, unknown table): retrying cannot help. */
const rejected =
  /invalid (user )?input|invalid argument|schema|not found|already exists|does not exist|not supported|no vector column|cast|type mismatch|arrow error|parse|planning/i

/** Translates anything LanceDB throws; `action` names the operation and collection for the log. */
export function translateLanceError(err: unknown, action: string): VectorizeError {
  if (err instanceof VectorizeError) return err
  if (isAbort(err)) return new VectorizeError('cancelled', `${action}: cancelled`, { cause: err })
  const message = firstLine(err instanceof Error ? err.message : String(err))
  if (unavailable.test(message)) {
    return new VectorizeError('store_unavailable', `${action}: ${message}`, {
      cause: err,
    })
  }
  if (rejected.test(message)) {
    return new VectorizeError('store_rejected', `${action}: ${message}`, { cause: err })
  }
  // Unknown: like toVectorizeError, an error we cannot classify is `internal` and not retried, so a
  // deterministic failure cannot block a partition forever; the cause keeps the details.
  return new VectorizeError('internal', `${action}: ${message}`, { cause: err })
}

/** LanceDB messages carry Rust source locations and a repeated "Caused by" chain; keep the head. */
function firstLine(message: string): string {
  const head = message.split(/, \/|\s+Caused by:|\n/)[0] ?? message
  return head.length > 300 ? `${head.slice(0, 300)}…` : head
}
