/**
 * The real `vectorize` CLI in Kafka mode, for the distributed acceptance tests: one workspace (one
 * LanceDB directory, shared by every worker process as on one machine) whose commands get the
 * VECTORIZE_WORKER_KAFKA_* settings of fresh random topics and group; worker processes started and
 * signalled like a deployment would; the status topic followed while they work. Everything is
 * removed after the test: processes killed, topics deleted, the workspace deleted.
 */
import * as assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { connect } from '@lancedb/lancedb'
import { allTopics } from '../../src/kafka/admin.ts'
import type { KafkaSettings } from '../../src/kafka/client.ts'
import type { ResultMessage, StatusMessage } from '../../src/protocol/report.ts'
import { contentId, vectorId } from '../../src/worker/ids.ts'
import { createWorkspace, describeRun, tail, type CliResult, type Workspace } from './cli.ts'
import type { DoublesSpec } from './doubles.ts'
import type { ReadRecord } from './kafka.ts'
import { createTopics, GroupProbe, kafkaSettings, readToEnd, watchTopic } from './kafka.ts'
import type { TopicConfigs } from './kafka.ts'
import { lancedbUnderTest, type StoreUnderTest } from './stores-under-test.ts'
import { waitUntil } from './wait.ts'

/** The environment that points the CLI at these topics and group. */
export function kafkaEnv(settings: KafkaSettings): Record<string, string> {
  const { topics } = settings
  return {
    VECTORIZE_WORKER_KAFKA_BROKERS: settings.brokers.join(','),
    VECTORIZE_WORKER_KAFKA_GROUP_ID: settings.group_id,
    VECTORIZE_WORKER_KAFKA_TOPICS_TASKS: topics.tasks,
    VECTORIZE_WORKER_KAFKA_TOPICS_RESULTS: topics.results,
    VECTORIZE_WORKER_KAFKA_TOPICS_STATUS: topics.status,
    VECTORIZE_WORKER_KAFKA_TOPICS_DLQ: topics.dlq,
    VECTORIZE_WORKER_KAFKA_SESSION_TIMEOUT_MS: String(settings.session_timeout_ms),
  }
}

/** `count` text tasks as JSON Lines, task ids `<prefix>-<i>`, distinct short texts. */
export function textTasks(count: number, prefix: string, collection: string): string[] {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      version: 1,
      task_id: `${prefix}-${i}`,
      type: 'text',
      collection,
      text: `${prefix} document ${i}: ${'short words '.repeat(i % 5)}number ${i * 7919}`,
      metadata: { n: i },
    }),
  )
}

export const parseStatus = (r: ReadRecord) => JSON.parse(r.value.toString()) as StatusMessage
export const parseResult = (r: ReadRecord) => JSON.parse(r.value.toString()) as ResultMessage

/** What the status topic says about one task. */
export interface TaskTrace {
  /** Worker id of each `started` record, in order: more than one means it was processed again. */
  readonly startedBy: string[]
  /** `at` (ms) of each `started` record, in order. */
  readonly startedAt: number[]
  /** `at` (ms) of each `succeeded` record, in order. */
  readonly succeededAt: number[]
  readonly failed: StatusMessage[]
}

/** Folds status records per task; `succeeded` counts tasks with at least one success. */
export class StatusBoard {
  readonly tasks = new Map<string, TaskTrace>()
  succeeded = 0
  failed = 0

  static of(records: readonly ReadRecord[]): StatusBoard {
    const board = new StatusBoard()
    for (const r of records) board.add(r)
    return board
  }

  add(record: ReadRecord): void {
    const status = parseStatus(record)
    let trace = this.tasks.get(status.task_id)
    if (!trace) {
      trace = { startedBy: [], startedAt: [], succeededAt: [], failed: [] }
      this.tasks.set(status.task_id, trace)
    }
    if (status.state === 'started') {
      trace.startedBy.push(status.worker_id)
      trace.startedAt.push(Date.parse(status.at))
    }
    if (status.state === 'succeeded' && trace.succeededAt.push(Date.parse(status.at)) === 1)
      this.succeeded++
    if (status.state === 'failed' && trace.failed.push(status) === 1) this.failed++
  }

  /** Task ids started more than once. */
  reprocessed(): string[] {
    return [...this.tasks].filter(([, t]) => t.startedBy.length > 1).map(([id]) => id)
  }
}

export interface CliWorker {
  readonly id: string
  readonly pid: number
  /** How it ended; undefined while it runs. */
  readonly result: CliResult | undefined
  readonly exited: Promise<CliResult>
  /** SIGTERM, then its exit and how long it took; rejects (and kills it) after `timeoutMs`. */
  stop(timeoutMs: number): Promise<{ result: CliResult; ms: number }>
  /** SIGKILL, then its exit. */
  kill(): Promise<CliResult>
  /** What it has printed so far. */
  output(): { readonly stdout: string; readonly stderr: string }
}

export interface KafkaCluster {
  readonly ws: Workspace
  readonly settings: KafkaSettings
  readonly env: Record<string, string>
  readonly group: GroupProbe
  /** The status topic as it is followed, live. */
  readonly board: StatusBoard
  /** `vectorize submit` of these lines (`--raw` to skip validation); expects exit 0. */
  submit(lines: readonly string[], options?: { raw?: boolean }): Promise<void>
  /** Starts `vectorize worker` with this worker id (and extra environment, test doubles). */
  worker(id: string, env?: Record<string, string>, doubles?: DoublesSpec): CliWorker
  /** Waits for `done`; fails at once when a worker exits that was not told to. */
  waitFor(what: () => string, done: () => boolean, timeoutMs: number): Promise<void>
}

export interface ClusterOptions {
  readonly partitions: number
  readonly sessionTimeoutMs?: number
  /** Configs of the topics by role (`tasks`, `dlq`...), e.g. `max.message.bytes`. */
  readonly topicConfigs?: Partial<Record<keyof KafkaSettings['topics'], Record<string, string>>>
}

/** Fresh topics (`partitions` each) and group, a workspace, and the status topic followed. */
export async function kafkaCluster(
  t: TestContext,
  { partitions, sessionTimeoutMs = 10_000, topicConfigs = {} }: ClusterOptions,
): Promise<KafkaCluster> {
  const ws = await createWorkspace((fn) => t.after(fn))
  const settings = kafkaSettings({ session_timeout_ms: sessionTimeoutMs })
  const configs: TopicConfigs = Object.fromEntries(
    Object.entries(topicConfigs).map(([role, config]) => [
      settings.topics[role as keyof KafkaSettings['topics']],
      config,
    ]),
  )
  await createTopics(t, allTopics(settings), partitions, configs)
  const env = kafkaEnv(settings)
  const board = new StatusBoard()
  await watchTopic(t, settings.topics.status, (r) => board.add(r))
  const group = await GroupProbe.open(t, settings.group_id, settings.topics.tasks)
  /** Each worker with whether it was signalled (its exit is then expected). */
  const workers: { worker: CliWorker; told: () => boolean }[] = []
  let files = 0

  const submit = async (lines: readonly string[], { raw = false } = {}) => {
    const file = join(ws.dir, `tasks-${files++}.jsonl`)
    await writeFile(file, lines.join('\n') + '\n')
    const args = ['submit', ...(raw ? ['--raw'] : []), file]
    const result = await ws.run(args, { env, timeoutMs: 120_000 })
    if (result.code !== 0) throw new Error(describeRun(args, result))
  }

  const worker = (id: string, extra: Record<string, string> = {}, doubles?: DoublesSpec) => {
    const workerEnv = { ...env, VECTORIZE_WORKER_WORKER_ID: id, ...extra }
    const bg = ws.start(['worker'], { env: workerEnv, ...(doubles && { doubles }) })
    let told = false
    let result: CliResult | undefined
    const exited = bg.exited.then((r) => (result = r))
    const signal = async (name: NodeJS.Signals, timeoutMs: number) => {
      told = true
      const sent = performance.now()
      bg.child.kill(name)
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          bg.child.kill('SIGKILL')
          reject(new Error(`worker ${id} did not exit within ${timeoutMs} ms of ${name}`))
        }, timeoutMs)
      })
      try {
        const r = await Promise.race([exited, late])
        return { result: r, ms: performance.now() - sent }
      } finally {
        clearTimeout(timer)
      }
    }
    const worker: CliWorker = {
      id,
      pid: bg.child.pid ?? -1,
      get result() {
        return result
      },
      exited,
      stop: (timeoutMs) => signal('SIGTERM', timeoutMs),
      kill: async () => (await signal('SIGKILL', 10_000)).result,
      output: () => bg.output(),
    }
    workers.push({ worker, told: () => told })
    return worker
  }

  const check = () => {
    const gone = workers.find((w) => !w.told() && w.worker.result)
    if (gone?.worker.result) {
      throw new Error(
        `worker ${gone.worker.id} exited: ${describeRun(['worker'], gone.worker.result)}`,
      )
    }
  }
  /** On a timeout the error carries each running worker's latest log lines: what was it doing? */
  const waitFor = (what: () => string, done: () => boolean, timeoutMs: number) =>
    waitUntil(what, done, { timeoutMs, check }).catch((err: unknown) => {
      const logs = workers
        .filter((w) => !w.worker.result)
        .map((w) => `worker ${w.worker.id} stderr: ${tail(w.worker.output().stderr)}`)
      const heard = `status records seen for ${board.tasks.size} tasks`
      throw new Error([`${(err as Error).message}; ${heard}`, ...logs].join('\n'), { cause: err })
    })

  return { ws, settings, env, group, board, submit, worker, waitFor }
}

/** Rows of a LanceDB collection: how many, and their ids. */
export async function storedIds(lancedbPath: string, collection: string) {
  const db = await connect(lancedbPath)
  try {
    const table = await db.openTable(collection)
    try {
      const count = await table.countRows()
      const rows = (await table.query().select(['id']).toArray()) as { id: string }[]
      return { count, ids: rows.map((r) => r.id) }
    } finally {
      table.close()
    }
  } finally {
    db.close()
  }
}

/** Per worker id, how many records name it. */
export function perWorker(messages: readonly { worker_id: string }[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const m of messages) counts[m.worker_id] = (counts[m.worker_id] ?? 0) + 1
  return counts
}

/**
 * The deterministic vector id (SPEC §4.3) of each text task of `lines` (as `textTasks` writes
 * them), embedded with `model` (a model identity, as results report it): the id under which its
 * one vector must be stored, whichever worker wrote it and however often.
 */
export function textTaskVectorIds(lines: readonly string[], model: string): Map<string, string> {
  const ids = new Map<string, string>()
  for (const line of lines) {
    const task = JSON.parse(line) as { task_id: string; collection: string; text: string }
    const documentId = contentId(task.text)
    ids.set(
      task.task_id,
      vectorId({ collection: task.collection, documentId, chunkIndex: 0, model }),
    )
  }
  return ids
}

/**
 * The no-loss, no-duplicate check of the fault tests, on the text tasks `lines`: every task
 * succeeded, nothing failed or was dead-lettered, the collection holds exactly one record per task,
 * each under its task's deterministic id (and, where the store keys objects apart, keyed by it),
 * and every vector id a result reported is stored. Returns what it read, for the test's figures.
 */
export async function assertExactlyOnceStored(
  cluster: KafkaCluster,
  lines: readonly string[],
  collection: string,
  store: StoreUnderTest = lancedbUnderTest,
) {
  const { topics } = cluster.settings
  const ids = lines.map((line) => (JSON.parse(line) as { task_id: string }).task_id)
  const final = StatusBoard.of(await readToEnd(topics.status))
  const lost = ids.filter((id) => (final.tasks.get(id)?.succeededAt.length ?? 0) === 0)
  assert.deepEqual(lost.slice(0, 5), [], `${lost.length} tasks lost`)
  assert.equal(final.failed, 0, 'no failed status')
  assert.deepEqual(await readToEnd(topics.dlq), [], 'nothing dead-lettered')
  const stored = await store.records(cluster.ws, collection)
  const distinct = new Set(stored.map((r) => r.id))
  assert.equal(stored.length, ids.length, `one ${store.name} record per task`)
  assert.equal(distinct.size, ids.length, `${stored.length - distinct.size} duplicate ids`)
  const results = (await readToEnd(topics.results)).map(parseResult)
  const missing = results.flatMap((r) => r.ids).filter((id) => !distinct.has(id))
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} reported vector ids not stored`)
  const models = [...new Set(results.map((r) => r.model))]
  assert.equal(models.length, 1, `one model identity in the results: ${models.join(', ')}`)
  const expected = textTaskVectorIds(lines, models[0] ?? '')
  const absent = [...expected].filter(([, id]) => !distinct.has(id)).map(([task]) => task)
  assert.deepEqual(absent.slice(0, 5), [], `${absent.length} tasks without their vector`)
  const misplaced = stored.filter(
    (r) => expected.get(r.taskId) !== r.id || (r.objectId ?? r.id) !== r.id,
  )
  assert.deepEqual(misplaced.slice(0, 5), [], `${misplaced.length} records under another id`)
  return { final, results, stored }
}
