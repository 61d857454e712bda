/**
 * Liveness beyond "the process answers": inference that has work but stopped progressing (a hung
 * ONNX Runtime call, a wedged inference thread) and an event loop that was blocked. Either one
 * longer than the bound turns /health red, so an orchestrator restarts the worker.
 */

export interface InferenceProgress {
  /** Embed requests waiting for the inference thread. */
  readonly pending: number
  /** `performance.now()` of the last progress (a batch finished, a reply arrived). */
  readonly lastProgressAt: number
}

export type Verdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string; readonly stalled_ms: number }

const TICK_MS = 500

export class Watchdog {
  readonly #boundMs: number
  readonly #inference: () => InferenceProgress
  readonly #timer: NodeJS.Timeout
  #lastTick = performance.now()

  constructor(boundMs: number, inference: () => InferenceProgress) {
    this.#boundMs = boundMs
    this.#inference = inference
    this.#timer = setInterval(() => (this.#lastTick = performance.now()), TICK_MS).unref()
  }

  /** How long inference has had work without progress (0 when it has none). */
  inferenceStalledMs(now = performance.now()): number {
    const { pending, lastProgressAt } = this.#inference()
    return pending > 0 ? Math.max(0, now - lastProgressAt) : 0
  }

  check(): Verdict {
    const now = performance.now()
    const stalled = this.inferenceStalledMs(now)
    if (stalled > this.#boundMs) {
      const reason = `inference made no progress for ${Math.round(stalled)} ms with work pending (worker.watchdog_ms: ${this.#boundMs})`
      return { ok: false, reason, stalled_ms: Math.round(stalled) }
    }
    // The ticker runs on the event loop: a late tick means the loop was blocked just now.
    const blocked = now - this.#lastTick - TICK_MS
    if (blocked > this.#boundMs) {
      const reason = `event loop was blocked for ${Math.round(blocked)} ms (worker.watchdog_ms: ${this.#boundMs})`
      return { ok: false, reason, stalled_ms: Math.round(blocked) }
    }
    return { ok: true }
  }

  close(): Promise<void> {
    clearInterval(this.#timer)
    return Promise.resolve()
  }
}
