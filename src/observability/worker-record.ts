/** The heartbeat record a worker keeps in Redis (SPEC §4.7), its keys, and how it is read back. */
import { VectorizeError } from '../worker/errors.ts'

/** What the worker reports on every beat; main.ts builds it from the worker, its stats and models. */
export interface WorkerStatus {
  /** `starting | running | draining | stopped | failed` */
  readonly state: string
  readonly activeTasks: number
  /** Identities (`name@dtype`) of the models loaded now. */
  readonly models: readonly string[]
  /** Since start: succeeded, failed, retries, dead_letters, items, tokens. */
  readonly counters: Readonly<Record<string, number>>
  /** The concurrency cap now (`processing.max_concurrent_tasks`, SIGHUP can change it). */
  readonly maxTasks?: number
  /** Inference devices of the loaded models (`cpu`, `cuda`…). */
  readonly devices?: readonly string[]
}

/** The JSON value of `<prefix>worker:<id>`. */
export interface WorkerRecord {
  readonly id: string
  readonly host: string
  readonly pid: number
  readonly version: string
  readonly state: string
  readonly models: readonly string[]
  readonly active_tasks: number
  readonly counters: Readonly<Record<string, number>>
  readonly started_at: string
  readonly updated_at: string
  readonly interval_ms: number
  readonly ttl_ms: number
  readonly max_tasks?: number
  readonly devices?: readonly string[]
  /** Where the worker serves /health, /ready and /metrics (absent when it serves none). */
  readonly metrics_url?: string
}

export function keysFor(prefix: string, workerId: string): { record: string; index: string } {
  return { record: `${prefix}worker:${workerId}`, index: `${prefix}workers` }
}

/** Parses a record read from Redis; a value that is not one names its key. */
export function decodeRecord(body: string, key: string): WorkerRecord {
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    value = undefined
  }
  const record = value as Partial<WorkerRecord> | undefined
  if (typeof record?.id !== 'string' || typeof record.state !== 'string') {
    throw new VectorizeError(
      'invalid_argument',
      `Redis key ${key} does not hold a vectorize heartbeat record (expected JSON with id and state)`,
    )
  }
  return record as WorkerRecord
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparsable redis.url)'
  }
}
