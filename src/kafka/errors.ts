/**
 * Translation of Kafka client errors into VectorizeError. The client's errors carry librdkafka's
 * numeric `code` (and `fatal`); the client's MIGRATION.md asks to branch on the code, never on the
 * class or name. Broker, network and timeout trouble is retriable; configuration, credentials,
 * authorisation and fatal producer state are not (`source_refused`, `reporter_refused`).
 */
import { VectorizeError } from '../worker/errors.ts'
import { permanentErrorCodes, sizeErrorCodes } from './vendor.ts'

interface ClientError {
  readonly code?: unknown
  readonly fatal?: unknown
  readonly type?: unknown
  readonly message?: unknown
  /** KafkaJSAggregateError (createTopics) collects one error per topic here. */
  readonly errors?: unknown
}

export type UnavailableCode = 'source_unavailable' | 'reporter_unavailable'

/** What a permanent refusal of the broker is called, for each role (errorTable: not retried). */
const refused = {
  source_unavailable: 'source_refused',
  reporter_unavailable: 'reporter_refused',
} as const

/**
 * `action` says what failed, e.g. "cannot commit offsets to topic t". Broker trouble keeps `code`
 * (retried); a permanent refusal becomes the role's `*_refused` code (not retried). A record
 * refused for its size is `record_too_large`: that record's fault, not the broker's (issue 10).
 */
export function kafkaError(err: unknown, code: UnavailableCode, action: string): VectorizeError {
  if (err instanceof VectorizeError) return err
  const causes = flatten(err)
  const permanent = causes.find(isPermanent)
  const first = permanent ?? causes[0] ?? {}
  const message = typeof first.message === 'string' ? first.message : String(err)
  const details = { kafka_code: first.code, kafka_type: first.type }
  if (typeof first.code === 'number' && sizeErrorCodes.has(first.code)) {
    return new VectorizeError('record_too_large', `${action}: ${message}`, { cause: err, details })
  }
  return new VectorizeError(permanent ? refused[code] : code, `${action}: ${message}`, {
    cause: err,
    details,
  })
}

function flatten(err: unknown): ClientError[] {
  if (typeof err !== 'object' || err === null) return []
  const client: ClientError = err
  if (Array.isArray(client.errors) && client.errors.length > 0)
    return client.errors.flatMap(flatten)
  return [client]
}

function isPermanent(err: ClientError): boolean {
  return err.fatal === true || (typeof err.code === 'number' && permanentErrorCodes.has(err.code))
}

/**
 * Resolves or rejects like `work`, or rejects with the signal's reason (an AbortError or
 * TimeoutError, left as is like any port's) as soon as `signal` aborts; the work itself goes on.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined)
    return Promise.reject(signal.reason as Error)
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
