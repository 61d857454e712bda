/**
 * The bounded hand-off between the Kafka client, which pushes messages as it fetches them, and the
 * worker, which pulls them. "Full" is a soft bound (a message count or a byte size): the source
 * pauses a partition that delivers into a full buffer, so at most one message per partition lands
 * beyond the bound, and resumes them once the buffer has drained to half.
 */
import type { SourceMessage } from './source.ts'

export interface BufferLimits {
  readonly maxMessages: number
  readonly maxBytes: number
}

export interface BufferStats {
  /** Messages buffered now. */
  readonly messages: number
  readonly bytes: number
  /** The most messages ever buffered at once: the bound a test can check. */
  readonly peakMessages: number
}

export class MessageBuffer {
  readonly #limits: BufferLimits
  #queue: SourceMessage[] = []
  #head = 0
  #bytes = 0
  #peak = 0
  #wake: (() => void) | undefined

  constructor(limits: BufferLimits) {
    this.#limits = limits
  }

  get length(): number {
    return this.#queue.length - this.#head
  }

  get full(): boolean {
    return this.length >= this.#limits.maxMessages || this.#bytes >= this.#limits.maxBytes
  }

  /** Drained enough to resume paused partitions. */
  get low(): boolean {
    return this.length <= this.#limits.maxMessages / 2 && this.#bytes <= this.#limits.maxBytes / 2
  }

  get stats(): BufferStats {
    return { messages: this.length, bytes: this.#bytes, peakMessages: this.#peak }
  }

  push(message: SourceMessage): void {
    this.#queue.push(message)
    this.#bytes += message.value.byteLength
    this.#peak = Math.max(this.#peak, this.length)
    this.#wake?.()
  }

  shift(): SourceMessage | undefined {
    if (this.#head >= this.#queue.length) return undefined
    const message = this.#queue[this.#head]!
    this.#head++
    this.#bytes -= message.value.byteLength
    // Compact now and then rather than paying Array.shift's O(n) on every message.
    if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head)
      this.#head = 0
    }
    return message
  }

  /** Forgets the buffered messages of these partitions (revoked); returns how many. */
  drop(partitions: ReadonlySet<number>): number {
    const kept = this.#queue.slice(this.#head).filter((m) => !partitions.has(m.partition))
    const dropped = this.length - kept.length
    this.#queue = kept
    this.#head = 0
    this.#bytes = kept.reduce((sum, m) => sum + m.value.byteLength, 0)
    return dropped
  }

  /** Resolves on the next push, after `timeoutMs` if given, or when `signal` aborts; never rejects. */
  async next(signal: AbortSignal, timeoutMs?: number): Promise<void> {
    if (this.length > 0 || signal.aborted) return
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        if (this.#wake === done) this.#wake = undefined
        resolve()
      }
      const timer = timeoutMs === undefined ? undefined : setTimeout(done, timeoutMs)
      signal.addEventListener('abort', done, { once: true })
      this.#wake = done
    })
  }
}
