/**
 * LocalReporter: the embedded reporter. Status and result records go to `status.log`, dead letters
 * to the dead-letter log `dlq-<base offset>.log` (local-dlq.ts), both JSON Lines in the reporter's
 * directory:
 *
 *   {"task_id":"t1","status":{<StatusMessage>}}
 *   {"task_id":"t1","result":{<ResultMessage>}}
 *   {"task_id":"t1","status":{<StatusMessage>},"attempts":3}   (written by compaction)
 *
 * A message that had a key keeps it as `"origin_key_b64"` in its dead letter (the embedded
 * queue's own messages have none; Kafka's dead letters carry it as the `x-origin-key` header).
 * Every method resolves once its record is fsynced; concurrent calls share an fsync and each
 * flush holds the file's lock (local-append.ts), since other processes write the same files and
 * compaction (local-compact.ts) replaces `status.log`. It is also the StatusView that `vectorize
 * status` reads (local-index.ts).
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../observability/logger.ts'
import type { ResultMessage, StatusMessage, TaskState } from '../protocol/report.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'
import type { DeadLetter, Reporter, StatusView, TaskQuery, TaskRecord } from './reporter.ts'
import type { AppendStats } from './local-append.ts'
import { GroupAppender } from './local-append.ts'
import { tryLock, waitLock } from '../files/lock.ts'
import { ReplaceableFile } from '../files/replaceable.ts'
import type { SegmentSettings } from '../files/segments.ts'
import { adoptLegacyLog, segmentSettings } from '../files/segments.ts'
import { SegmentWriter } from '../files/segment-writer.ts'
import { compactLockName, removeLeftover, statusFileName, statusLockName } from './local-compact.ts'
import type { StoredDeadLetter } from './local-dlq.ts'
import {
  deadLetterLockName,
  deadLetterPrefix,
  deadLetterTime,
  encodeDeadLetter,
  readDeadLetters,
} from './local-dlq.ts'
import { StatusIndex } from './local-index.ts'
import type { ReportSettings } from './local-maintenance.ts'
import { reportUpkeep } from './local-maintenance.ts'
import type { Periodic } from '../files/periodic.ts'

export { decodeDeadLetter, encodeDeadLetter } from './local-dlq.ts'
export type { StoredDeadLetter } from './local-dlq.ts'
export { statusFileName } from './local-compact.ts'

export interface LocalReporterConfig extends Partial<SegmentSettings> {
  /** Directory of `status.log` and the dead-letter log. */
  readonly dir: string
  /** How long a write waits for another process's write (or a compaction's swap) to finish. */
  readonly lockTimeoutMs?: number
  /** Keep the reports compacted and retained, every `intervalMs` (the worker's reporter does). */
  readonly maintenance?: ReportSettings & { readonly intervalMs: number }
}

export interface LocalReporterDeps {
  readonly logger: Logger
}

export class LocalReporter implements Reporter, StatusView {
  readonly kind = 'local'
  readonly #dir: string
  readonly #statusLog: GroupAppender
  readonly #deadLetters: GroupAppender
  readonly #index: StatusIndex
  readonly #logger: Logger
  #upkeep: Periodic | undefined
  #closed: Promise<void> | undefined

  static async create(
    config: LocalReporterConfig,
    deps: LocalReporterDeps,
  ): Promise<LocalReporter> {
    const logger = deps.logger.child({ component: 'local-reporter', dir: config.dir })
    const lockTimeoutMs = config.lockTimeoutMs ?? 30_000
    const status = new ReplaceableFile(join(config.dir, statusFileName), (bytes) =>
      logger.warn({ bytes }, 'removed a torn record of the status log left by a crashed writer'),
    )
    const dlq = new SegmentWriter({
      ...segmentSettings(config),
      dir: config.dir,
      prefix: deadLetterPrefix,
      recordTime: deadLetterTime,
      logger,
    })
    try {
      await mkdir(config.dir, { recursive: true })
      await recoverCompaction(config.dir)
      // Open both now, so that a directory we cannot write fails here rather than mid-run.
      await locked(join(config.dir, statusLockName), lockTimeoutMs, () => status.current())
      await locked(join(config.dir, deadLetterLockName), lockTimeoutMs, async () => {
        await adoptLegacyLog(config.dir, deadLetterPrefix)
        await dlq.active()
      })
    } catch (err) {
      await Promise.all([status.close(), dlq.close()])
      throw unavailable(`cannot open the local reports in ${config.dir}`, err)
    }
    const reporter = new LocalReporter(config.dir, { status, dlq, lockTimeoutMs }, logger)
    if (config.maintenance) {
      reporter.#upkeep = reportUpkeep(config.dir, config.maintenance, logger)
    }
    return reporter
  }

  private constructor(
    dir: string,
    files: { status: ReplaceableFile; dlq: SegmentWriter; lockTimeoutMs: number },
    logger: Logger,
  ) {
    this.#dir = dir
    const { status, dlq, lockTimeoutMs } = files
    this.#statusLog = new GroupAppender(
      { prepare: () => status.current(), close: () => status.close() },
      { name: status.path, lockPath: join(dir, statusLockName), lockTimeoutMs },
    )
    this.#deadLetters = new GroupAppender(
      { prepare: (bytes, now) => dlq.forAppend(bytes, now), close: () => dlq.close() },
      {
        name: `the dead-letter log in ${dir}`,
        lockPath: join(dir, deadLetterLockName),
        lockTimeoutMs,
      },
    )
    this.#index = new StatusIndex(status.path)
    this.#logger = logger
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

  async task(taskId: string, { signal, history }: TaskQuery): Promise<TaskRecord | undefined> {
    signal.throwIfAborted()
    return this.#read(() => this.#index.task(taskId, history))
  }

  async counts({ signal }: Signal): Promise<Record<TaskState, number>> {
    signal.throwIfAborted()
    return this.#read(() => this.#index.counts())
  }

  /** Dead letters in the order they were written, for inspection and re-driving. */
  deadLetters({ signal }: Signal): AsyncGenerator<StoredDeadLetter> {
    return readDeadLetters(this.#dir, signal, (damaged) =>
      this.#logger.warn(damaged, 'skipping a damaged line of the dead-letter log'),
    )
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#upkeep?.close()
      await Promise.all([this.#statusLog.close(), this.#deadLetters.close(), this.#index.close()])
    })()
    return this.#closed
  }

  async #read<T>(read: () => Promise<T>): Promise<T> {
    if (this.#closed)
      throw new VectorizeError('internal', `the local reporter of ${this.#dir} is closed`)
    const before = this.#index.damaged
    const value = await read().catch((err: unknown) => {
      throw unavailable(`cannot read ${join(this.#dir, statusFileName)}`, err)
    })
    const damaged = this.#index.damaged - before
    if (damaged > 0) this.#logger.warn({ damaged }, 'skipped damaged lines of the status log')
    return value
  }
}

async function locked<T>(path: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  const lock = await waitLock(path, { signal: new AbortController().signal, timeoutMs })
  try {
    return await work()
  } finally {
    await lock.release()
  }
}

/** Removes the copy a killed compaction left, unless a compaction is running now. */
async function recoverCompaction(dir: string): Promise<void> {
  const { lock } = await tryLock(join(dir, compactLockName))
  if (!lock) return
  try {
    await removeLeftover(dir)
  } finally {
    await lock.release()
  }
}

function line(record: object): Buffer {
  return Buffer.from(`${JSON.stringify(record)}\n`)
}

export function unavailable(message: string, cause: unknown): VectorizeError {
  const reason = cause instanceof Error ? `: ${cause.message}` : ''
  return new VectorizeError('reporter_unavailable', `${message}${reason}`, {
    cause,
  })
}
