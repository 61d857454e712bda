/**
 * A task type is a plain object `{ type, run(task, ctx) }`. It reaches the world only through
 * its context: the model manager, the store, a logger, progress and an AbortSignal.
 */
import type { ContentLimits } from '../content/content.ts'
import type { ModelManager } from '../models/embedder.ts'
import type { Logger } from '../observability/logger.ts'
import type { MessageLimits } from '../protocol/parse.ts'
import type { ResultMessage } from '../protocol/report.ts'
import type { TaskOf, TaskType } from '../protocol/task.ts'
import type { CollectionSpec, Distance, VectorStore } from '../stores/store.ts'

export interface Timings {
  inferenceMs: number
  storeMs: number
}

export interface TaskContext {
  readonly models: ModelManager
  readonly store: VectorStore
  readonly defaults: { readonly collection: string; readonly distance: Distance }
  /** Guards for content the task points at (paths, base64, images). */
  readonly content: ContentLimits
  /** Limits of config `processing` (metadata size...): content a task derives is held to them too. */
  readonly limits: MessageLimits
  readonly logger: Logger
  readonly signal: AbortSignal
  /** Creates the collection once per worker, then remembers it. */
  ensureCollection(spec: CollectionSpec): Promise<void>
  progress(done: number, total: number): void
  readonly timings: Timings
}

/** What a task produced: the result message without the fields the worker fills in. */
export type TaskOutcome = Omit<ResultMessage, 'task_id' | 'worker_id' | 'timings_ms'>

export interface TaskHandler<T extends TaskType = TaskType> {
  readonly type: T
  run(task: TaskOf<T>, ctx: TaskContext): Promise<TaskOutcome>
}

export type TaskRegistry = { readonly [T in TaskType]: TaskHandler<T> }
