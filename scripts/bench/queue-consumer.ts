/**
 * The worker's queue side for bench-queue, without a model or a store: for each task `started`,
 * then a one-id result and `succeeded` (or, for a task marked bad, `failed` and a dead letter),
 * up to `concurrency` tasks at once; the contiguous run of done offsets is committed every 200 ms,
 * as the worker does.
 */
import type { Reporter } from '../../src/reporters/reporter.ts'
import type { SourceMessage, TaskSource } from '../../src/sources/source.ts'

export interface ConsumeOptions {
  readonly source: TaskSource
  readonly reporter: Reporter
  readonly tasks: number
  readonly concurrency: number
  /** Called at every tenth of the tasks done, with the lag last measured. */
  readonly onProgress: (done: number, lag: number) => void
}

export async function consume(options: ConsumeOptions): Promise<{ deadLetters: number }> {
  const { source, reporter, tasks, concurrency } = options
  const signal = new AbortController().signal
  const stop = new AbortController()
  const done = new Uint8Array(tasks)
  let watermark = 0
  let count = 0
  let inFlight = 0
  let deadLetters = 0
  let lag = 0
  let failure: Error | undefined
  let wake: (() => void) | undefined
  let commits: Promise<void> = Promise.resolve()
  const commit = () => {
    while (watermark < tasks && done[watermark] === 1) watermark++
    const offset = watermark
    commits = commits.then(() => source.commit([{ partition: 0, offset }], { signal }))
    return commits
  }
  const committer = setInterval(() => void commit().catch(fail), 200)
  const prober = setInterval(() => {
    void source.probe?.({ signal }).then((p) => (lag = p.lag?.[0]?.messages ?? lag), fail)
  }, 500)
  function fail(err: unknown) {
    failure ??= err instanceof Error ? err : new Error('the consumer failed', { cause: err })
    stop.abort()
  }
  const finished = (message: SourceMessage, bad: boolean) => {
    done[message.offset] = 1
    count++
    if (bad) deadLetters++
    inFlight--
    wake?.()
    if (count % Math.max(1, Math.floor(tasks / 10)) === 0 || count === tasks) {
      options.onProgress(count, lag)
    }
    if (count === tasks) stop.abort()
  }
  try {
    for await (const message of source.messages({ signal: stop.signal, untilIdle: false })) {
      while (inFlight >= concurrency) await new Promise<void>((resolve) => (wake = resolve))
      inFlight++
      void handle(reporter, message, signal).then((bad) => finished(message, bad), fail)
    }
    while (inFlight > 0 && failure === undefined) {
      await new Promise<void>((resolve) => (wake = resolve))
    }
  } finally {
    clearInterval(committer)
    clearInterval(prober)
  }
  if (failure !== undefined) throw failure
  await commit()
  return { deadLetters }
}

const errorOf = { code: 'invalid_task' as const, message: 'marked bad by the benchmark' }

async function handle(reporter: Reporter, message: SourceMessage, signal: AbortSignal) {
  const task = JSON.parse(Buffer.from(message.value).toString('utf8')) as {
    task_id: string
    bad?: boolean
  }
  const base = { task_id: task.task_id, worker_id: 'bench' }
  await reporter.status({ ...base, state: 'started', at: new Date().toISOString() }, { signal })
  if (task.bad) {
    await reporter.deadLetter(
      {
        value: message.value,
        taskId: task.task_id,
        error: { ...errorOf, class: 'data' },
        origin: { topic: message.topic, partition: message.partition, offset: message.offset },
        attempts: 1,
        workerId: 'bench',
      },
      { signal },
    )
    const error = { ...errorOf, retriable: false }
    await reporter.status(
      { ...base, state: 'failed', error, at: new Date().toISOString() },
      { signal },
    )
    return true
  }
  await reporter.result(
    {
      ...base,
      collection: 'bench',
      model: 'none',
      dimensions: 1,
      ids: [`${task.task_id}-0`],
      counts: { items: 1, vectors: 1, tokens: 5, truncated: 0 },
      truncated: [],
      timings_ms: { queue: Date.now() - message.timestamp, inference: 0, store: 0, total: 0 },
    },
    { signal },
  )
  await reporter.status({ ...base, state: 'succeeded', at: new Date().toISOString() }, { signal })
  return false
}
