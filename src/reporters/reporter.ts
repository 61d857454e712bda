/**
 * Reporter: where status updates, results and dead letters go (SPEC §4.2). Each method resolves
 * only once the record is durable (local file fsynced, Kafka acks=all), because the worker commits
 * a source offset only after its reports are acknowledged.
 */
import type { ResultMessage, StatusMessage, TaskState } from '../protocol/report.ts'
import type { ErrorClass, ErrorCode } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'

export interface DeadLetter {
  /** The original message bytes, unchanged. */
  readonly value: Uint8Array
  /** The original message's key, where it had one (a Kafka key). */
  readonly key?: Uint8Array
  readonly taskId: string
  readonly error: { readonly code: ErrorCode; readonly message: string; readonly class: ErrorClass }
  readonly origin: { readonly topic: string; readonly partition: number; readonly offset: number }
  readonly attempts: number
  readonly workerId: string
}

export interface Reporter {
  readonly kind: string
  status(message: StatusMessage, opts: Signal): Promise<void>
  result(message: ResultMessage, opts: Signal): Promise<void>
  deadLetter(letter: DeadLetter, opts: Signal): Promise<void>
  close(): Promise<void>
}

/** The latest known state of one task, as `vectorize status TASK_ID` shows it. */
export interface TaskRecord {
  readonly task_id: string
  readonly state: TaskState
  readonly updated_at: string
  readonly worker_id: string
  /** How many times the task was started (more than 1 after a redelivery). */
  readonly attempts: number
  readonly progress?: StatusMessage['progress']
  readonly error?: StatusMessage['error']
  readonly result?: ResultMessage
  /** The task's status records, when asked for (`TaskQuery.history`). */
  readonly history?: TaskHistory
}

/** One status record of a task, as it was written. */
export interface HistoryEntry {
  readonly state: TaskState
  readonly at: string
  readonly worker_id: string
  readonly progress?: StatusMessage['progress']
  readonly error?: StatusMessage['error']
  /**
   * Set on a record that compaction wrote (embedded queue): it replaced every earlier record of
   * the task, `compacted_attempts` of them `started` records.
   */
  readonly compacted_attempts?: number
  /** Stamped earlier than the state before it, so the task kept that state (task-state.ts). */
  readonly stale?: true
}

/** A task's status records in the order they were written, bounded. */
export interface TaskHistory {
  readonly records: readonly HistoryEntry[]
  /** Older records were compacted away: the first record kept stands for them. */
  readonly compacted: boolean
  /** Records left out between the first and the latest ones kept (a task with many updates). */
  readonly omitted: number
}

export interface TaskQuery extends Signal {
  /** Also collect the task's status records into `history`. */
  readonly history?: boolean
}

/** Read side of the reports, for `vectorize status`. */
export interface StatusView {
  task(taskId: string, opts: TaskQuery): Promise<TaskRecord | undefined>
  counts(opts: Signal): Promise<Record<TaskState, number>>
  /**
   * Where a view scans a log rather than reading an index (Kafka): what the last call read, per
   * topic, and whether it got to the end before its signal aborted (then the answer is partial).
   */
  readonly scanned?: readonly ScanSummary[]
}

export interface ScanSummary {
  readonly topic: string
  readonly partitions: number
  /** Records read (the ones before the ends the topic had when the scan started). */
  readonly records: number
  /** Records the topic held between its start and those ends. */
  readonly total: number
  /** Every record up to those ends was read; false when the scan stopped at its deadline. */
  readonly complete: boolean
  readonly ms: number
}
