/**
 * StatusIndex: `status.log` folded into the latest state of each task. The first read folds the
 * whole file in one streaming pass; later reads fold only what was appended since (by this process
 * or another one), so `vectorize status` stays fast on a long log. Results are large (one id per
 * vector), so the index keeps only where the last one is and reads it back when asked.
 */
import type { FileHandle } from 'node:fs/promises'
import type { ResultMessage, StatusMessage, TaskState } from '../protocol/report.ts'
import { taskStates } from '../protocol/report.ts'
import type { TaskRecord } from './reporter.ts'
import { readLines } from '../files/lines.ts'

interface Entry {
  state?: TaskState
  /** `at` of the record that set the state, in ms: a record stamped earlier does not override it. */
  stateMs: number
  updatedAt: string
  workerId: string
  attempts: number
  progress?: StatusMessage['progress']
  error?: StatusMessage['error']
  result?: { readonly start: number; readonly length: number }
}

const knownStates: ReadonlySet<unknown> = new Set(taskStates)

/** Result lines start with their task id, so the index need not parse the (large) rest. */
const resultHead = /^\{"task_id":("(?:[^"\\]|\\.)*"),"result":/

export class StatusIndex {
  readonly #file: FileHandle
  readonly #tasks = new Map<string, Entry>()
  /** Bytes of the file folded so far; always the start of a line. */
  #folded = 0
  #catchingUp: Promise<void> = Promise.resolve()
  #damaged = 0

  constructor(file: FileHandle) {
    this.#file = file
  }

  /** Lines skipped because they were not valid records (torn by a crash). */
  get damaged(): number {
    return this.#damaged
  }

  /** Folds in everything appended since the last call; calls queue behind each other. */
  catchUp(): Promise<void> {
    const next = this.#catchingUp.then(() => this.#fold())
    this.#catchingUp = next.catch(() => undefined)
    return next
  }

  /** Resolves when no fold is running, so the file can be closed. */
  idle(): Promise<void> {
    return this.#catchingUp
  }

  async task(taskId: string): Promise<TaskRecord | undefined> {
    const entry = this.#tasks.get(taskId)
    if (entry?.state === undefined) return undefined
    return {
      task_id: taskId,
      state: entry.state,
      updated_at: entry.updatedAt,
      worker_id: entry.workerId,
      attempts: entry.attempts,
      ...(entry.progress ? { progress: entry.progress } : {}),
      ...(entry.error ? { error: entry.error } : {}),
      ...(entry.result ? { result: await this.#readResult(entry.result) } : {}),
    }
  }

  counts(): Record<TaskState, number> {
    const counts = Object.fromEntries(taskStates.map((s) => [s, 0])) as Record<TaskState, number>
    for (const { state } of this.#tasks.values()) if (state !== undefined) counts[state]++
    return counts
  }

  async #fold(): Promise<void> {
    for await (const line of readLines(this.#file, this.#folded)) {
      if (line.bytes.length > 0 && !this.#apply(line.bytes, line.start)) this.#damaged++
      this.#folded = line.end
    }
  }

  #apply(bytes: Buffer, start: number): boolean {
    const head = resultHead.exec(bytes.toString('utf8', 0, Math.min(bytes.length, 256)))
    const headId = head?.[1] === undefined ? undefined : parseJson(head[1])
    if (typeof headId === 'string' && bytes[bytes.length - 1] === 0x7d) {
      this.#entry(headId).result = { start, length: bytes.length }
      return true
    }
    type Stored = { task_id?: unknown; status?: StatusMessage; result?: unknown }
    const record = parseJson(bytes.toString('utf8')) as Stored | undefined
    if (typeof record?.task_id !== 'string') return false
    if (record.result !== undefined) {
      this.#entry(record.task_id).result = { start, length: bytes.length }
      return true
    }
    const status = record.status
    if (status === undefined || !knownStates.has(status.state)) return false
    this.#applyStatus(this.#entry(record.task_id), status)
    return true
  }

  #applyStatus(entry: Entry, status: StatusMessage): void {
    if (status.state === 'started') entry.attempts++
    const ms = Date.parse(status.at)
    // Log order is the order of writes; `at` guards against a late writer (`vectorize submit`
    // appending "queued" after the worker already started the task). Ties go to the later line.
    if (ms < entry.stateMs) return
    entry.stateMs = Number.isNaN(ms) ? entry.stateMs : ms
    entry.state = status.state
    entry.updatedAt = status.at
    entry.workerId = status.worker_id
    entry.error = status.error
    if (status.progress) entry.progress = status.progress
  }

  #entry(taskId: string): Entry {
    let entry = this.#tasks.get(taskId)
    if (!entry) {
      entry = { stateMs: -Infinity, updatedAt: '', workerId: '', attempts: 0 }
      this.#tasks.set(taskId, entry)
    }
    return entry
  }

  async #readResult({ start, length }: { start: number; length: number }): Promise<ResultMessage> {
    const bytes = Buffer.allocUnsafe(length)
    await this.#file.read(bytes, 0, length, start)
    return (JSON.parse(bytes.toString('utf8')) as { result: ResultMessage }).result
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}
