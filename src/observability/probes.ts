/**
 * A probe that does I/O (the source's partition offsets, the store's health) runs in the
 * background, and `/ready` and `/metrics` answer from its latest result: an endpoint never waits
 * on a broker, Redis or a store. Issue 10: every `/ready` and `/metrics` started native Kafka
 * offset requests, which held libuv's thread pool for their own timeout after the JS side gave up;
 * during a broker outage the pool filled, the store check queued behind it, and `/ready` stopped
 * answering at all. So:
 * - at most one call of a probe is in flight: a tick finds the last call still running (its
 *   native work is not abortable) and starts none;
 * - a call that has not answered within `timeoutMs` is recorded as a failure at once (and its late
 *   answer, if any, recorded when it comes);
 * - a result older than `maxAgeMs` counts as failing: a probe that stopped answering must not
 *   leave its last good result standing.
 */
import type { Signal } from '../worker/types.ts'

export interface ProbeSettings {
  /** How often a call starts (when the last one has settled). */
  readonly intervalMs: number
  /** A call slower than this is recorded as failed. */
  readonly timeoutMs: number
  /** A result older than this counts as failing. */
  readonly maxAgeMs: number
}

export interface ProbeReading<T> {
  readonly ok: boolean
  readonly value?: T
  readonly error?: string
  /** How old the result is; undefined before the first one. */
  readonly ageMs?: number
}

interface Result<T> {
  readonly ok: boolean
  readonly value?: T
  readonly error?: string
  readonly at: number
}

export class CachedProbe<T> {
  readonly name: string
  readonly #run: (opts: Signal) => Promise<T>
  readonly #settings: ProbeSettings
  readonly #now: () => number
  #latest: Result<T> | undefined
  #inflight = false
  #timer: NodeJS.Timeout | undefined
  #closed = false

  /** `now` is the clock results are timed with (tests pass their own). */
  constructor(
    name: string,
    run: (opts: Signal) => Promise<T>,
    settings: ProbeSettings,
    now: () => number = () => performance.now(),
  ) {
    this.name = name
    this.#run = run
    this.#settings = settings
    this.#now = now
  }

  /** Runs a first call now, then one every `intervalMs`; idempotent. */
  start(): this {
    if (this.#timer || this.#closed) return this
    this.#tick()
    this.#timer = setInterval(() => this.#tick(), this.#settings.intervalMs)
    this.#timer.unref() // a probe never keeps the process alive
    return this
  }

  /** The latest result and its age; a failure before the first one or once it is too old. */
  read(): ProbeReading<T> {
    const latest = this.#latest
    if (!latest) return { ok: false, error: 'no result yet' }
    const ageMs = Math.round(this.#now() - latest.at)
    if (ageMs > this.#settings.maxAgeMs) {
      const why = latest.ok ? 'its last answer' : `its last answer was: ${latest.error}`
      return {
        ok: false,
        error: `no answer for ${ageMs} ms (over ${this.#settings.maxAgeMs} ms); ${why}`,
        ageMs,
      }
    }
    return {
      ok: latest.ok,
      ...('value' in latest && { value: latest.value }),
      ...(latest.error !== undefined && { error: latest.error }),
      ageMs,
    }
  }

  close(): void {
    this.#closed = true
    clearInterval(this.#timer)
  }

  #tick(): void {
    if (this.#inflight || this.#closed) return
    this.#inflight = true
    let settled = false
    const timer = setTimeout(() => {
      if (!settled)
        this.#record({ ok: false, error: `no answer within ${this.#settings.timeoutMs} ms` })
    }, this.#settings.timeoutMs)
    timer.unref()
    // a synchronous throw is a failed probe like any other
    const call = Promise.resolve().then(() =>
      this.#run({ signal: AbortSignal.timeout(this.#settings.timeoutMs) }),
    )
    call
      .then(
        (value) => this.#record({ ok: true, value }),
        (err: unknown) => this.#record({ ok: false, error: messageOf(err) }),
      )
      .finally(() => {
        settled = true
        clearTimeout(timer)
        this.#inflight = false
      })
  }

  #record(result: Omit<Result<T>, 'at'>): void {
    this.#latest = { ...result, at: this.#now() }
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
