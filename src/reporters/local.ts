/**
 * LocalReporter: the embedded reporter. Status and result records go to `status.log`, dead letters
 * to `dlq.log`, both JSON Lines in the reporter's directory:
 *
 *   {"task_id":"t1","status":{<StatusMessage>}}
 *   {"task_id":"t1","result":{<ResultMessage>}}
 *   {"at":"<ISO time>","task_id":"t1","error":{"class":"data","code":…,"message":…},
 *    "origin":{"topic":"local","partition":0,"offset":7},"attempts":1,"worker_id":"w1",
 *    "value":<original message, verbatim>}      (one line in the file)
 *
 * A message that had a key keeps it as `"origin_key_b64"` (the embedded queue's own messages have
 * none; Kafka's dead letters carry it as the `x-origin-key` header).
 * A dead letter's original bytes are kept exactly: verbatim when they are JSON text on one line,
 * as `value_text` (a JSON string) when they are other UTF-8 text, as `value_b64` otherwise.
 * Every method resolves once its record is fsynced; concurrent calls share an fsync (local-append).
 * It is also the StatusView that `vectorize status` reads (local-index).
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../observability/logger.ts'
import type { ResultMessage, StatusMessage, TaskState } from '../protocol/report.ts'
import type { ErrorClass, ErrorCode } from '../worker/errors.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'
import type { DeadLetter, Reporter, StatusView, TaskRecord } from './reporter.ts'
import type { AppendStats } from './local-append.ts'
import { GroupAppender } from './local-append.ts'
import type { AppendFile } from './local-files.ts'
import { syncDir } from '../files/durable.ts'
import { readLines } from '../files/lines.ts'
import { openAppend } from './local-files.ts'
import { StatusIndex } from './local-index.ts'

export interface LocalReporterConfig {
  /** Directory of `status.log` and `dlq.log`. */
  readonly dir: string
}

export interface LocalReporterDeps {
  readonly logger: Logger
}

/** A dead letter as read back from `dlq.log`. */
export interface StoredDeadLetter extends DeadLetter {
  readonly at: string
}

export const statusFileName = 'status.log'
export const deadLetterFileName = 'dlq.log'

interface Files {
  readonly status: AppendFile
  readonly dlq: AppendFile
}

export class LocalReporter implements Reporter, StatusView {
  readonly kind = 'local'
  readonly #dir: string
  readonly #files: Files
  readonly #statusLog: GroupAppender
  readonly #deadLetters: GroupAppender
  readonly #index: StatusIndex
  readonly #logger: Logger
  #closed: Promise<void> | undefined

  static async create(
    config: LocalReporterConfig,
    deps: LocalReporterDeps,
  ): Promise<LocalReporter> {
    try {
      await mkdir(config.dir, { recursive: true })
      const status = await openAppend(join(config.dir, statusFileName))
      const dlq = await openAppend(join(config.dir, deadLetterFileName)).catch(
        async (err: unknown) => {
          await status.file.close()
          throw err
        },
      )
      await syncDir(config.dir)
      const files = { status, dlq }
      return new LocalReporter(config.dir, files, deps.logger)
    } catch (err) {
      throw unavailable(`cannot open the local reports in ${config.dir}`, err)
    }
  }

  private constructor(dir: string, files: Files, logger: Logger) {
    this.#dir = dir
    this.#files = files
    this.#statusLog = new GroupAppender(files.status, join(dir, statusFileName))
    this.#deadLetters = new GroupAppender(files.dlq, join(dir, deadLetterFileName))
    this.#index = new StatusIndex(files.status.file)
    this.#logger = logger.child({ component: 'local-reporter', dir })
  }

  /** Records written and fsyncs spent on them, per file: shows the group commit at work. */
  get stats(): { readonly status: AppendStats; readonly deadLetters: AppendStats } {
    return { status: this.#statusLog.stats, deadLetters: this.#deadLetters.stats }
  }

  async status(message: StatusMessage, { signal }: Signal): Promise<void> {
    signal.throwIfAborted()
    await this.#statusLog.append(line({ task_id: message.task_id, status: message }))
  }

  async result(message: ResultMessage, { signal }: Signal): Promise<void> {
    signal.throwIfAborted()
    await this.#statusLog.append(line({ task_id: message.task_id, result: message }))
  }

  async deadLetter(letter: DeadLetter, { signal }: Signal): Promise<void> {
    signal.throwIfAborted()
    await this.#deadLetters.append(encodeDeadLetter(letter, new Date().toISOString()))
  }

  async task(taskId: string, { signal }: Signal): Promise<TaskRecord | undefined> {
    signal.throwIfAborted()
    await this.#catchUp()
    return this.#index.task(taskId)
  }

  async counts({ signal }: Signal): Promise<Record<TaskState, number>> {
    signal.throwIfAborted()
    await this.#catchUp()
    return this.#index.counts()
  }

  /** Dead letters in the order they were written, for inspection and re-driving. */
  async *deadLetters({ signal }: Signal): AsyncGenerator<StoredDeadLetter> {
    for await (const { bytes, start } of readLines(this.#files.dlq.file, 0)) {
      signal.throwIfAborted()
      if (bytes.length === 0) continue // a line break written after a torn record
      const letter = decodeDeadLetter(bytes)
      if (letter) yield letter
      else this.#logger.warn({ position: start }, 'skipping a damaged line of the dead-letter log')
    }
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.all([this.#statusLog.close(), this.#deadLetters.close()])
      await this.#index.idle()
      await Promise.all([this.#files.status.file.close(), this.#files.dlq.file.close()])
    })()
    return this.#closed
  }

  async #catchUp(): Promise<void> {
    if (this.#closed)
      throw new VectorizeError('internal', `the local reporter of ${this.#dir} is closed`)
    const before = this.#index.damaged
    await this.#index.catchUp().catch((err: unknown) => {
      throw unavailable(`cannot read ${join(this.#dir, statusFileName)}`, err)
    })
    const damaged = this.#index.damaged - before
    if (damaged > 0) this.#logger.warn({ damaged }, 'skipped damaged lines of the status log')
  }
}

function line(record: object): Buffer {
  return Buffer.from(`${JSON.stringify(record)}\n`)
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const valueKey = ',"value":'

export function encodeDeadLetter(letter: DeadLetter, at: string): Buffer {
  const { value, key, taskId, error, origin, attempts, workerId } = letter
  const headers = JSON.stringify({
    at,
    task_id: taskId,
    error,
    origin,
    ...(key && { origin_key_b64: Buffer.from(key).toString('base64') }),
    attempts,
    worker_id: workerId,
  })
  const open = headers.slice(0, -1)
  const text = utf8(value)
  if (text !== undefined && !text.includes('\n') && parses(text)) {
    return Buffer.concat([Buffer.from(`${open}${valueKey}`), value, Buffer.from('}\n')])
  }
  const encoded =
    text === undefined
      ? `"value_b64":"${Buffer.from(value).toString('base64')}"`
      : `"value_text":${JSON.stringify(text)}`
  return Buffer.from(`${open},${encoded}}\n`)
}

interface StoredHeaders {
  at: string
  task_id: string
  error: { code: ErrorCode; message: string; class: ErrorClass }
  origin: { topic: string; partition: number; offset: number }
  origin_key_b64?: string
  attempts: number
  worker_id: string
  value_text?: string
  value_b64?: string
}

export function decodeDeadLetter(bytes: Buffer): StoredDeadLetter | undefined {
  const text = bytes.toString('utf8')
  let stored: StoredHeaders
  try {
    stored = JSON.parse(text) as StoredHeaders
  } catch {
    return undefined
  }
  if (typeof stored.task_id !== 'string') return undefined
  // No `,"` can occur inside a JSON string (quotes are escaped there), and the headers have no
  // `value` key, so the first match is where the verbatim value starts.
  const valueStart = bytes.indexOf(valueKey)
  const value =
    stored.value_b64 !== undefined
      ? new Uint8Array(Buffer.from(stored.value_b64, 'base64'))
      : stored.value_text !== undefined
        ? new TextEncoder().encode(stored.value_text)
        : valueStart >= 0
          ? new Uint8Array(bytes.subarray(valueStart + valueKey.length, bytes.length - 1))
          : undefined
  if (value === undefined) return undefined
  const { task_id: taskId, error, origin, attempts, worker_id: workerId } = stored
  const key = stored.origin_key_b64
  return {
    at: stored.at,
    value,
    ...(key !== undefined && { key: new Uint8Array(Buffer.from(key, 'base64')) }),
    taskId,
    error,
    origin,
    attempts,
    workerId,
  }
}

function utf8(value: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(value)
  } catch {
    return undefined
  }
}

function parses(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

function unavailable(message: string, cause: unknown): VectorizeError {
  const reason = cause instanceof Error ? `: ${cause.message}` : ''
  return new VectorizeError('reporter_unavailable', `${message}${reason}`, {
    cause,
  })
}
