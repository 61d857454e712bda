/**
 * One message, start to finish: parse and validate, run its task type with retries, report the
 * outcome. Resolves once the message is done (succeeded, or failed and dead-lettered) and every
 * report about it is acknowledged — only then may its offset be committed. Throws when the worker
 * must stop without committing it: shutdown, or an infrastructure error that outlived its retries.
 */
import { defaultContentLimits, type ContentLimits } from '../content/content.ts'
import type { ModelManager } from '../models/embedder.ts'
import type { Logger } from '../observability/logger.ts'
import { parseJson, taskIdOf, taskTypeOf, validateTask } from '../protocol/parse.ts'
import type { MessageLimits } from '../protocol/parse.ts'
import type { TaskMessage } from '../protocol/task.ts'
import type { SourceMessage } from '../sources/source.ts'
import type { CollectionSpec, Distance, VectorStore } from '../stores/store.ts'
import type { TaskContext, TaskRegistry, Timings } from '../tasks/task.ts'
import { VectorizeError, toVectorizeError } from './errors.ts'
import type { WorkerMetrics } from './metrics.ts'
import type { Reports } from './reports.ts'
import { TaskClock } from './task-clock.ts'
import { withRetry, type RetryPolicy } from './retry.ts'

export interface ProcessorSettings {
  readonly workerId: string
  readonly limits: MessageLimits
  readonly defaults: { readonly collection: string; readonly distance: Distance }
  readonly retry: RetryPolicy
  readonly taskTimeoutMs: number
  /** Dead-letter a message once this many workers died with it in flight; 0 = never. */
  readonly maxCrashes: number
  /** Guards for task content (config `content`); the safe defaults when absent. */
  readonly content?: ContentLimits
}

export interface ProcessorDeps {
  readonly tasks: TaskRegistry
  readonly models: ModelManager
  readonly store: VectorStore
  readonly reports: Reports
  readonly logger: Logger
  readonly metrics: WorkerMetrics
  readonly settings: ProcessorSettings
  ensureCollection(spec: CollectionSpec): Promise<void>
}

export async function processMessage(
  msg: SourceMessage,
  deps: ProcessorDeps,
  signal: AbortSignal,
): Promise<void> {
  const startedAt = Date.now()
  let value: unknown
  let task: TaskMessage
  try {
    value = parseJson(msg.value, deps.settings.limits.max_message_bytes)
    crashLoop(msg, deps.settings.maxCrashes)
    task = validateTask(value, deps.settings.limits)
  } catch (err) {
    const taskId = taskIdOf(value) ?? `${msg.topic}:${msg.partition}:${msg.offset}`
    const type = taskTypeOf(value) ?? 'unknown' // a text task with a text too long is a text task
    const error = toVectorizeError(err)
    deps.metrics.taskStarted(type)
    await fail(
      msg,
      taskId,
      error,
      error.code === 'crash_loop' ? (msg.crashes ?? 0) : 0,
      deps,
      signal,
    )
    deps.metrics.taskFinished({
      type,
      outcome: 'failed',
      code: error.code,
      timings: timingsOf(msg, startedAt, zero()),
      items: 0,
      tokens: 0,
    })
    return
  }
  await runTask(msg, task, startedAt, deps, signal)
}

/** A message that worker processes keep dying on is refused before it runs again (kafka-guard.ts). */
function crashLoop(msg: SourceMessage, maxCrashes: number): void {
  const crashes = msg.crashes ?? 0
  if (maxCrashes === 0 || crashes < maxCrashes) return
  throw new VectorizeError(
    'crash_loop',
    `${crashes} worker processes died with this message in flight; it is dead-lettered instead of ` +
      `run again (processing.max_crashes: ${maxCrashes})`,
    { details: { crashes } },
  )
}

async function runTask(
  msg: SourceMessage,
  task: TaskMessage,
  startedAt: number,
  deps: ProcessorDeps,
  signal: AbortSignal,
): Promise<void> {
  const logger = deps.logger.child({
    task_id: task.task_id,
    type: task.type,
    partition: msg.partition,
    offset: msg.offset,
  })
  const reports = deps.reports.forTask(task.task_id, signal)
  const timings = zero()
  let attempts = 0
  deps.metrics.taskStarted(task.type)
  reports.status('started')
  try {
    const outcome = await withRetry(
      (attempt) => {
        attempts = attempt
        return runOnce(task, { deps, logger, timings, reports }, signal)
      },
      deps.settings.retry,
      signal,
      {
        onRetry: (err, attempt, delay) => (
          deps.metrics.retried(err.code),
          logger.warn(
            { code: err.code, attempt, delay_ms: delay },
            `retrying after: ${err.message}`,
          )
        ),
      },
    )
    const t = timingsOf(msg, startedAt, timings)
    reports.result({
      ...outcome,
      task_id: task.task_id,
      worker_id: deps.settings.workerId,
      timings_ms: t,
    })
    // The result first: one refused as too big (record_too_large) fails the task, which must not
    // have been reported `succeeded` before.
    await reports.settled()
    reports.status('succeeded')
    await reports.settled()
    deps.metrics.taskFinished({
      type: task.type,
      outcome: 'succeeded',
      timings: t,
      items: outcome.counts.items,
      tokens: outcome.counts.tokens,
    })
    logger.debug({ vectors: outcome.counts.vectors, ms: Math.round(t.total) }, 'task succeeded')
  } catch (thrown) {
    const err = toVectorizeError(thrown)
    if (signal.aborted || err.retriable) throw err // shutdown, or infrastructure still failing: never dead-letter
    await reports.settled().catch(() => undefined)
    await fail(msg, task.task_id, err, attempts, deps, signal)
    deps.metrics.taskFinished({
      type: task.type,
      outcome: 'failed',
      code: err.code,
      timings: timingsOf(msg, startedAt, timings),
      items: 0,
      tokens: 0,
    })
    logger.info({ code: err.code }, `task failed: ${err.message}`)
  }
}

interface RunScope {
  readonly deps: ProcessorDeps
  readonly logger: Logger
  readonly timings: Timings
  readonly reports: ReturnType<Reports['forTask']>
}

/**
 * One attempt, bounded by the task timeout: `task_timeout`, a data error (it would time out again).
 * The clock stops while the task's texts wait behind other tasks' for inference (task-clock.ts).
 */
async function runOnce(task: TaskMessage, scope: RunScope, signal: AbortSignal) {
  const clock = new TaskClock(scope.deps.settings.taskTimeoutMs)
  const timeout = clock.signal
  const ctx: TaskContext = {
    models: clock.models(scope.deps.models),
    store: scope.deps.store,
    defaults: scope.deps.settings.defaults,
    content: scope.deps.settings.content ?? defaultContentLimits,
    limits: scope.deps.settings.limits,
    logger: scope.logger,
    signal: AbortSignal.any([signal, timeout]),
    ensureCollection: (spec) => scope.deps.ensureCollection(spec),
    progress: (done, total) => {
      if (done < total) scope.reports.status('progress', { done, total })
    },
    timings: scope.timings,
  }
  try {
    const handler = scope.deps.tasks[task.type] as {
      run(t: TaskMessage, c: TaskContext): ReturnType<TaskRegistry['text']['run']>
    }
    return await handler.run(task, ctx)
  } catch (err) {
    if (timeout.aborted && !signal.aborted) {
      throw new VectorizeError(
        'task_timeout',
        `task ran longer than processing.task_timeout_ms (${scope.deps.settings.taskTimeoutMs} ms)`,
        { cause: err },
      )
    }
    throw err
  } finally {
    clock.dispose()
  }
}

async function fail(
  msg: SourceMessage,
  taskId: string,
  err: VectorizeError,
  attempts: number,
  deps: ProcessorDeps,
  signal: AbortSignal,
): Promise<void> {
  const reports = deps.reports.forTask(taskId, signal)
  // A message refused before its task ran still counts as one attempt, in its status as in the DLQ.
  if (attempts === 0) reports.status('started')
  reports.status('failed', undefined, err)
  reports.deadLetter({
    value: msg.value,
    ...(msg.key && { key: msg.key }),
    taskId,
    error: { code: err.code, message: err.message, class: err.class },
    origin: { topic: msg.topic, partition: msg.partition, offset: msg.offset },
    attempts: Math.max(attempts, 1),
    workerId: deps.settings.workerId,
  })
  try {
    await reports.settled()
  } catch (thrown) {
    // A record refused for its size even cut to fit (a dead-letter topic that keeps less than the
    // record headers): that message's problem, never a reason to stop the group (issue 10).
    // Anything else is infrastructure, already retried: the worker stops without committing.
    const error = toVectorizeError(thrown)
    if (error.code !== 'record_too_large' || signal.aborted) throw error
    deps.logger.error(
      { task_id: taskId, code: err.code, partition: msg.partition, offset: msg.offset },
      `could not report this failed task (${error.message}); it is committed all the same`,
    )
    return
  }
  deps.metrics.deadLettered(err.code)
}

function zero(): Timings {
  return { inferenceMs: 0, storeMs: 0 }
}

function timingsOf(msg: SourceMessage, startedAt: number, t: Timings) {
  return {
    queue: Math.max(0, startedAt - msg.timestamp),
    inference: t.inferenceMs,
    store: t.storeMs,
    total: Date.now() - startedAt,
  }
}
