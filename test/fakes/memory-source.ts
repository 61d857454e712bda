/**
 * An in-memory, single-partition task log with Kafka's semantics, for fast tests of the worker:
 * publishers append, sources read from the committed offset, commits only move forward. It passes
 * the same TaskSource contract suite as the embedded queue and Kafka (test/sources/memory.test.ts).
 * `commits` records every commit a source made, so tests can check what was committed and when.
 */
import type {
  ConsumeOptions,
  Position,
  SourceMessage,
  TaskPublisher,
  TaskSource,
} from '../../src/sources/source.ts'
import { VectorizeError } from '../../src/worker/errors.ts'
import type { Signal } from '../../src/worker/types.ts'

export class MemoryLog {
  readonly topic: string
  readonly messages: SourceMessage[] = []
  /** The next offset to read, as last committed. */
  committed = 0
  /** Every commit made, in order (offsets as given, including ignored lower ones). */
  readonly commits: number[] = []
  #waiters: (() => void)[] = []
  readonly #onCommit: (() => void)[] = []

  constructor(topic = 'memory') {
    this.topic = topic
  }

  append(values: readonly Uint8Array[], extra: Partial<SourceMessage> = {}): void {
    for (const value of values) {
      this.messages.push({
        topic: this.topic,
        partition: 0,
        offset: this.messages.length,
        value: Uint8Array.from(value),
        timestamp: Date.now(),
        ...extra,
      })
    }
    for (const wake of this.#waiters.splice(0)) wake()
  }

  /** Resolves once the committed offset reached `offset`. */
  committedTo(offset: number): Promise<void> {
    if (this.committed >= offset) return Promise.resolve()
    return new Promise((resolve) =>
      this.#onCommit.push(() => {
        if (this.committed >= offset) resolve()
      }),
    )
  }

  /** Called by sources after each commit. */
  notifyCommit(): void {
    for (const check of this.#onCommit) check()
  }

  /** Resolves at the next append or when `signal` aborts. */
  appended(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve()
      const wake = () => (signal.removeEventListener('abort', wake), resolve())
      this.#waiters.push(wake)
      signal.addEventListener('abort', wake, { once: true })
    })
  }

  source(): MemorySource {
    return new MemorySource(this)
  }

  publisher(): MemoryPublisher {
    return new MemoryPublisher(this)
  }
}

export class MemorySource implements TaskSource {
  readonly kind = 'memory'
  /** As the Kafka crash guard asks sometimes: commit each finished message at once. */
  commitEagerly = false
  readonly #log: MemoryLog
  readonly #closing = new AbortController()

  constructor(log: MemoryLog) {
    this.#log = log
  }

  async *messages({ signal, untilIdle }: ConsumeOptions): AsyncIterable<SourceMessage> {
    const stop = AbortSignal.any([signal, this.#closing.signal])
    let next = this.#log.committed
    while (!stop.aborted) {
      const message = this.#log.messages[next]
      if (message) {
        next++
        yield message
        continue
      }
      if (untilIdle) return
      await this.#log.appended(stop)
    }
  }

  async commit(positions: readonly Position[], { signal }: Signal): Promise<void> {
    await Promise.resolve()
    if (this.#closing.signal.aborted)
      throw new VectorizeError('source_unavailable', 'the memory source is closed')
    signal.throwIfAborted()
    for (const { offset } of positions) {
      this.#log.commits.push(offset)
      this.#log.committed = Math.max(this.#log.committed, offset)
    }
    this.#log.notifyCommit()
  }

  close(): Promise<void> {
    this.#closing.abort()
    return Promise.resolve()
  }
}

export class MemoryPublisher implements TaskPublisher {
  readonly kind = 'memory'
  readonly #log: MemoryLog

  constructor(log: MemoryLog) {
    this.#log = log
  }

  async publish(values: readonly Uint8Array[], { signal }: Signal): Promise<number> {
    await Promise.resolve()
    signal.throwIfAborted()
    this.#log.append(values)
    return values.length
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}
