/**
 * Redis heartbeats and the registry of live workers (SPEC §4.7). Every worker refreshes
 * `<prefix>worker:<id>` (a JSON record, expiring after `heartbeat_ttl_ms`) and its id in the
 * sorted set `<prefix>workers` (score: time of the last beat). A worker that dies disappears when
 * its key expires; a clean stop deletes both at once. The only module that imports `redis`.
 *
 * Redis is never on the task path: beats run on a timer, at most one in flight, with no offline
 * queue (a command fails at once while disconnected) and a bounded command queue, so an outage
 * or a hung server costs nothing but missing beats. One warning per outage, one line when beats
 * resume.
 */
import { hostname } from 'node:os'
import { createClient } from 'redis'
import { VectorizeError } from '../worker/errors.ts'
import type { Logger } from './logger.ts'
import {
  decodeRecord,
  keysFor,
  redactUrl,
  type WorkerRecord,
  type WorkerStatus,
} from './worker-record.ts'

export type { WorkerRecord, WorkerStatus } from './worker-record.ts'

export interface RedisSettings {
  readonly url: string
  readonly heartbeat_interval_ms: number
  readonly heartbeat_ttl_ms: number
  readonly key_prefix: string
}

export interface HeartbeatDeps {
  readonly logger: Logger
  /** The worker's state now; called once per beat. */
  readonly status: () => WorkerStatus
  readonly workerId: string
  readonly version: string
  /** The base URL of the worker's HTTP endpoints, for the dashboard's scrapes. */
  readonly metricsUrl?: string
}

/** What `/ready` can show about Redis (it never gates readiness). */
export interface HeartbeatHealth {
  readonly connected: boolean
  readonly lastBeatAt: string | undefined
  readonly error: string | undefined
}

/** No offline queue, a bounded command queue, short reconnect backoff. */
function heartbeatClient(url: string, interval: number) {
  return createClient({
    url,
    disableOfflineQueue: true,
    commandsQueueMaxLength: MAX_QUEUED_COMMANDS,
    socket: {
      connectTimeout: clamp(interval, 500, 5_000),
      // capped exponential backoff with jitter: beats resume within about one interval (the cap
      // stays short: node-redis sleeps between attempts on a timer that holds the process open)
      reconnectStrategy: (retries: number) =>
        Math.round(Math.min(100 * 2 ** retries, clamp(interval, 250, 2_000)) * jitter()),
    },
  })
}

type Client = ReturnType<typeof heartbeatClient>

/** Entries of the index older than this are pruned by the next beat of any worker. */
const INDEX_STALE_MS = 24 * 3600 * 1000
const MAX_QUEUED_COMMANDS = 32

export class Heartbeat {
  readonly #client: Client
  readonly #deps: HeartbeatDeps
  readonly #keys: ReturnType<typeof keysFor>
  readonly #startedAt = new Date().toISOString()
  #intervalMs: number
  readonly #ttlMs: number
  #timer: NodeJS.Timeout | undefined
  #pending: Promise<unknown> | undefined
  #closed = false
  #outageSince: number | undefined
  #lastBeatAt: string | undefined
  #lastError: string | undefined

  private constructor(client: Client, settings: RedisSettings, deps: HeartbeatDeps) {
    this.#client = client
    this.#deps = deps
    this.#keys = keysFor(settings.key_prefix, deps.workerId)
    this.#intervalMs = settings.heartbeat_interval_ms
    this.#ttlMs = settings.heartbeat_ttl_ms
  }

  /** Starts beating in the background: returns at once, whether Redis answers or not. */
  static start(settings: RedisSettings, deps: HeartbeatDeps): Heartbeat {
    checkSettings(settings)
    checkUrl(settings.url)
    const client = heartbeatClient(settings.url, settings.heartbeat_interval_ms)
    const heartbeat = new Heartbeat(client, settings, deps)
    heartbeat.#listen()
    client.connect().catch((err: unknown) => heartbeat.#failed(err))
    heartbeat.#schedule(0)
    return heartbeat
  }

  get health(): HeartbeatHealth {
    return {
      connected: this.#client.isReady && this.#outageSince === undefined,
      lastBeatAt: this.#lastBeatAt,
      error: this.#lastError,
    }
  }

  /** Changes the beat interval at run time (SIGHUP); the TTL stays. */
  setInterval(ms: number): void {
    checkSettings({ heartbeat_interval_ms: ms, heartbeat_ttl_ms: this.#ttlMs })
    this.#intervalMs = ms
    if (this.#timer) this.#schedule(ms)
  }

  /** Stops beating and removes this worker from the registry now. Never throws. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#timer)
    if (this.#pending) await withTimeout(this.#pending, this.#commandTimeoutMs()).catch(noop)
    if (this.#client.isReady) {
      const { record, index } = this.#keys
      const removed = this.#client.multi().del(record).zRem(index, this.#deps.workerId).exec()
      await withTimeout(removed, this.#commandTimeoutMs()).catch((err: unknown) =>
        this.#deps.logger.warn(
          { err: message(err) },
          'could not remove the heartbeat; it expires with its TTL',
        ),
      )
    }
    this.#client.destroy()
  }

  #listen(): void {
    // node-redis emits 'error' for every failed (re)connection: without a listener it would throw
    this.#client.on('error', (err: unknown) => this.#failed(err))
    this.#client.on('ready', () => {
      if (!this.#closed) this.#schedule(0) // beat as soon as Redis is back
    })
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer)
    if (this.#closed) return
    this.#timer = setTimeout(() => this.#beat(), delayMs)
    this.#timer.unref()
  }

  #beat(): void {
    this.#schedule(this.#intervalMs)
    if (this.#pending) return // the previous beat has not been answered: Redis is slow or hung
    if (!this.#client.isReady) return // reconnecting: the 'error' events tell the story
    const now = Date.now()
    const body = JSON.stringify(this.#record(now))
    const { record, index } = this.#keys
    const sent = this.#client
      .multi()
      .set(record, body, { expiration: { type: 'PX', value: this.#ttlMs } })
      .zAdd(index, { score: now, value: this.#deps.workerId })
      .zRemRangeByScore(index, '-inf', now - INDEX_STALE_MS)
      .exec()
    const pending = sent.then(noop, noop).finally(() => {
      if (this.#pending === pending) this.#pending = undefined
    })
    this.#pending = pending
    withTimeout(sent, this.#commandTimeoutMs()).then(
      () => this.#succeeded(now),
      (err: unknown) => this.#failed(err),
    )
  }

  #record(now: number): WorkerRecord {
    const status = this.#deps.status()
    return {
      id: this.#deps.workerId,
      host: hostname(),
      pid: process.pid,
      version: this.#deps.version,
      state: status.state,
      models: status.models,
      active_tasks: status.activeTasks,
      counters: status.counters,
      started_at: this.#startedAt,
      updated_at: new Date(now).toISOString(),
      interval_ms: this.#intervalMs,
      ttl_ms: this.#ttlMs,
      ...(status.maxTasks !== undefined && { max_tasks: status.maxTasks }),
      ...(status.devices !== undefined && { devices: status.devices }),
      ...(this.#deps.metricsUrl !== undefined && { metrics_url: this.#deps.metricsUrl }),
    }
  }

  #succeeded(at: number): void {
    this.#lastBeatAt = new Date(at).toISOString()
    this.#lastError = undefined
    if (this.#outageSince === undefined) return
    const outageMs = Date.now() - this.#outageSince
    this.#outageSince = undefined
    this.#deps.logger.info({ outage_ms: outageMs }, 'Redis is back: heartbeats resumed')
  }

  #failed(err: unknown): void {
    this.#lastError = message(err)
    if (this.#closed || this.#outageSince !== undefined) return
    this.#outageSince = Date.now()
    this.#deps.logger.warn(
      { err: this.#lastError },
      'Redis unavailable: heartbeats paused (task processing continues)',
    )
  }

  #commandTimeoutMs(): number {
    return clamp(this.#intervalMs, 2_000, 5_000) // lenient: a busy worker answers late too
  }
}

export interface ListOptions {
  readonly url: string
  readonly keyPrefix: string
  readonly timeoutMs: number
}

/**
 * The live workers, by id. One connection attempt, bounded in time: `redis_unavailable` when
 * Redis does not answer. Index entries whose key has expired are removed on the way.
 */
export async function listWorkers(options: ListOptions): Promise<WorkerRecord[]> {
  const client = createClient({
    url: options.url,
    disableOfflineQueue: true,
    socket: { connectTimeout: options.timeoutMs, reconnectStrategy: false },
  })
  client.on('error', () => undefined) // the rejected promise below carries the error
  const where = redactUrl(options.url)
  try {
    await withTimeout(client.connect(), options.timeoutMs)
    const index = keysFor(options.keyPrefix, '').index
    const ids = await withTimeout(client.zRange(index, 0, -1), options.timeoutMs)
    if (ids.length === 0) return []
    const keys = ids.map((id) => keysFor(options.keyPrefix, id).record)
    const bodies = await withTimeout(client.mGet(keys), options.timeoutMs)
    const gone = ids.filter((_, i) => bodies[i] === null)
    if (gone.length > 0) await withTimeout(client.zRem(index, gone), options.timeoutMs)
    return bodies.flatMap((body, i) => (body === null ? [] : [decodeRecord(body, keys[i]!)]))
  } catch (err) {
    if (err instanceof VectorizeError) throw err
    throw new VectorizeError(
      'redis_unavailable',
      `Redis at ${where} did not answer: ${message(err)}`,
      {
        cause: err,
      },
    )
  } finally {
    client.destroy()
  }
}

function checkSettings(s: Pick<RedisSettings, 'heartbeat_interval_ms' | 'heartbeat_ttl_ms'>): void {
  if (s.heartbeat_ttl_ms > s.heartbeat_interval_ms) return
  throw new VectorizeError(
    'config_invalid',
    `redis.heartbeat_ttl_ms (${s.heartbeat_ttl_ms}) must be greater than redis.heartbeat_interval_ms ` +
      `(${s.heartbeat_interval_ms}), or live workers would expire between two beats`,
    { details: { setting: 'redis.heartbeat_ttl_ms' } },
  )
}

/** A URL node-redis would reject (or misread) stops start-up with the setting's name. */
export function checkUrl(url: string): void {
  let protocol: string | undefined
  try {
    protocol = new URL(url).protocol
  } catch {
    protocol = undefined
  }
  if (protocol === 'redis:' || protocol === 'rediss:') return
  throw new VectorizeError(
    'config_invalid',
    `redis.url must be a redis:// or rediss:// URL (e.g. redis://127.0.0.1:6379), got ${JSON.stringify(redactUrl(url))}`,
    { details: { setting: 'redis.url' } },
  )
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

const noop = () => undefined
const clamp = (n: number, min: number, max: number) => Math.min(Math.max(n, min), max)
const jitter = () => 0.8 + Math.random() * 0.4
const message = (err: unknown) =>
  err instanceof Error ? err.message || err.constructor.name : String(err)
