/**
 * WorkerRegistry: the dashboard's read of the live workers (SPEC §4.7), over one long-lived Redis
 * connection: one read of the `workers` index and one MGET of their records per call, each bounded
 * in time. Read-only: expired index entries are left for the workers' own beats to prune.
 */
import { createClient } from 'redis'
import { VectorizeError } from '../worker/errors.ts'
import { decodeRecord, keysFor, redactUrl, type WorkerRecord } from './worker-record.ts'

export interface RegistryOptions {
  readonly url: string
  readonly keyPrefix: string
  /** Time limit of one read. */
  readonly timeoutMs: number
}

function registryClient(url: string, timeoutMs: number) {
  return createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: timeoutMs,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2_000),
    },
  })
}

export class WorkerRegistry {
  readonly #client: ReturnType<typeof registryClient>
  readonly #options: RegistryOptions
  #lastError: string | undefined

  /** Connects in the background: a Redis that is down now makes `list` fail, not the start. */
  static open(options: RegistryOptions): WorkerRegistry {
    return new WorkerRegistry(options)
  }

  private constructor(options: RegistryOptions) {
    this.#options = options
    this.#client = registryClient(options.url, options.timeoutMs)
    this.#client.on('error', (err: unknown) => (this.#lastError = message(err)))
    // with a reconnect strategy the promise settles only once connected: never awaited on a read
    this.#client.connect().catch((err: unknown) => (this.#lastError = message(err)))
  }

  /** The live workers; records that are not vectorize heartbeats are skipped. */
  async list(): Promise<WorkerRecord[]> {
    const { keyPrefix, timeoutMs } = this.#options
    if (!this.#client.isReady) await this.#ready(timeoutMs)
    if (!this.#client.isReady) throw this.#unavailable(this.#lastError ?? 'not connected yet')
    try {
      const index = keysFor(keyPrefix, '').index
      const ids = await withTimeout(this.#client.zRange(index, 0, -1), timeoutMs)
      if (ids.length === 0) return []
      const keys = ids.map((id) => keysFor(keyPrefix, id).record)
      const bodies = await withTimeout(this.#client.mGet(keys), timeoutMs)
      return bodies.flatMap((body, i) => {
        if (body === null) return [] // expired: the worker is gone
        try {
          return [decodeRecord(body, keys[i]!)]
        } catch {
          return []
        }
      })
    } catch (err) {
      throw this.#unavailable(message(err), err)
    }
  }

  /** Waits for the connection at most `ms` (a first read right after start, a reconnect). */
  #ready(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#client.off('ready', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.#client.on('ready', done)
    })
  }

  close(): Promise<void> {
    this.#client.destroy()
    return Promise.resolve()
  }

  #unavailable(reason: string, cause?: unknown): VectorizeError {
    return new VectorizeError(
      'redis_unavailable',
      `Redis at ${redactUrl(this.#options.url)} did not answer: ${reason}`,
      { cause },
    )
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

const message = (err: unknown) =>
  err instanceof Error ? err.message || err.constructor.name : String(err)
