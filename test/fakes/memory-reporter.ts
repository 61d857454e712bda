/**
 * A Reporter that keeps what it is given in memory, for fast tests of the worker. It passes the
 * same contract suite as the local and Kafka reporters (test/reporters/contract.ts), and can hold
 * its acknowledgements (`hold()`) or fail like an unreachable reporter (`failNext`).
 */
import type { ResultMessage, StatusMessage } from '../../src/protocol/report.ts'
import type { DeadLetter, Reporter } from '../../src/reporters/reporter.ts'
import { VectorizeError } from '../../src/worker/errors.ts'
import type { Signal } from '../../src/worker/types.ts'

export class MemoryReporter implements Reporter {
  readonly kind = 'memory'
  /** Acknowledged records, in the order they were acknowledged. */
  readonly statuses: StatusMessage[] = []
  readonly results: ResultMessage[] = []
  readonly deadLetters: DeadLetter[] = []
  /** Every call as it was made (acknowledged or not): `status:<task>:<state>`, `result:<task>`, `dead-letter:<task>`. */
  readonly sent: string[] = []
  /** Sends to refuse next as `reporter_unavailable`. */
  failNext = 0
  #held: Promise<void> | undefined
  #closed = false
  readonly #watchers = new Set<() => void>()

  /** Resolves once `done()` holds, checked after every call and every acknowledgement. */
  until(done: (reporter: this) => boolean): Promise<void> {
    if (done(this)) return Promise.resolve()
    return new Promise((resolve) => {
      const check = () => {
        if (!done(this)) return
        this.#watchers.delete(check)
        resolve()
      }
      this.#watchers.add(check)
    })
  }

  #changed(): void {
    for (const check of [...this.#watchers]) check()
  }

  /** Holds every acknowledgement until the returned function is called. */
  hold(): () => void {
    let release: () => void = () => undefined
    this.#held = new Promise((resolve) => (release = resolve))
    const held = this.#held
    return () => {
      if (this.#held === held) this.#held = undefined
      release()
    }
  }

  /** The states reported for a task, in order. */
  statesOf(taskId: string): string[] {
    return this.statuses.filter((s) => s.task_id === taskId).map((s) => s.state)
  }

  status(message: StatusMessage, opts: Signal): Promise<void> {
    this.sent.push(`status:${message.task_id}:${message.state}`)
    this.#changed()
    return this.#send(opts, () => this.statuses.push(structuredClone(message)))
  }

  result(message: ResultMessage, opts: Signal): Promise<void> {
    this.sent.push(`result:${message.task_id}`)
    this.#changed()
    return this.#send(opts, () => this.results.push(structuredClone(message)))
  }

  deadLetter(letter: DeadLetter, opts: Signal): Promise<void> {
    this.sent.push(`dead-letter:${letter.taskId}`)
    this.#changed()
    return this.#send(opts, () => this.deadLetters.push(structuredClone(letter)))
  }

  close(): Promise<void> {
    this.#closed = true
    return Promise.resolve()
  }

  async #send({ signal }: Signal, record: () => void): Promise<void> {
    if (this.#closed) throw new VectorizeError('internal', 'the memory reporter is closed')
    signal.throwIfAborted()
    if (this.failNext > 0) {
      this.failNext--
      throw new VectorizeError('reporter_unavailable', 'the memory reporter is down (injected)')
    }
    await this.#held
    record()
    this.#changed()
  }
}
