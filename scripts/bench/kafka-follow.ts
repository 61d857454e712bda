/**
 * What bench:kafka reads back from Kafka, as any client of the system would: the status and
 * results topics (first `started`, last `succeeded`, tasks per worker, each result's timings) and
 * the workers' group lag from its committed offsets (the figure KEDA scales on).
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { KafkaClient } from '../../src/kafka/client.ts'
import type { VendorAdmin } from '../../src/kafka/vendor.ts'
import type { ResultMessage, StatusMessage } from '../../src/protocol/report.ts'
import { metadataRefreshMs } from '../../src/sources/kafka.ts'

/** Result timings of one task, ms (the worker's `timings_ms`: `total` is start → result). */
export interface TaskTimings {
  readonly total: number
  readonly inference: number
  readonly store: number
}

export interface Progress {
  /** First `started` and last `succeeded`, ms since the epoch (the workers' `at`). */
  firstStarted: number
  lastSucceeded: number
  /** Succeeded task ids → worker id. */
  readonly done: Map<string, string>
  readonly perWorker: Record<string, number>
  readonly timings: TaskTimings[]
  /** `started` → `succeeded` per task, ms, from the status records. */
  readonly statusMs: number[]
  readonly failed: Map<string, string>
}

/**
 * Follows `status` and `results` from their beginning with a group of its own; resolves once it
 * holds all `partitions` of both.
 */
export async function follow(
  client: KafkaClient,
  topics: { status: string; results: string },
  partitions: number,
) {
  const groupId = `vectorize-bench-reader-${randomUUID()}`
  const consumer = client.kafka.consumer({
    kafkaJS: {
      groupId,
      fromBeginning: true,
      autoCommit: false,
      // As the worker does (sources/kafka.ts): a topic just created can be missing from the first
      // metadata answer, and librdkafka would leave it unassigned until its 5-minute refresh.
      metadataMaxAge: metadataRefreshMs,
    },
  })
  const started = new Map<string, number>()
  const seenResults = new Set<string>()
  const progress: Progress = {
    firstStarted: Infinity,
    lastSucceeded: 0,
    done: new Map(),
    perWorker: {},
    timings: [],
    statusMs: [],
    failed: new Map(),
  }
  const onStatus = (s: StatusMessage) => {
    const at = Date.parse(s.at)
    if (s.state === 'started') {
      progress.firstStarted = Math.min(progress.firstStarted, at)
      if (!started.has(s.task_id)) started.set(s.task_id, at)
    }
    if (s.state === 'failed') progress.failed.set(s.task_id, s.error?.message ?? 'failed')
    if (s.state !== 'succeeded' || progress.done.has(s.task_id)) return
    progress.done.set(s.task_id, s.worker_id)
    progress.lastSucceeded = Math.max(progress.lastSucceeded, at)
    progress.perWorker[s.worker_id] = (progress.perWorker[s.worker_id] ?? 0) + 1
    const from = started.get(s.task_id)
    if (from !== undefined) progress.statusMs.push(at - from)
  }
  const onResult = (r: ResultMessage) => {
    if (seenResults.has(r.task_id)) return // a redelivery after a rebalance: count the task once
    seenResults.add(r.task_id)
    const { total, inference, store } = r.timings_ms
    progress.timings.push({ total, inference, store })
  }
  await consumer.connect()
  await consumer.subscribe({ topics: [topics.status, topics.results] })
  await consumer.run({
    eachMessage: ({ topic, message }) => {
      const value: unknown = JSON.parse(message.value?.toString() ?? '{}')
      if (topic === topics.status) onStatus(value as StatusMessage)
      else onResult(value as ResultMessage)
      return Promise.resolve()
    },
  })
  const close = () => consumer.disconnect()
  await untilAssigned(() => consumer.assignment().length >= 2 * partitions).catch(
    async (err: unknown) => {
      await close()
      throw err
    },
  )
  return { progress, groupId, close }
}

async function untilAssigned(assigned: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!assigned()) {
    if (Date.now() > deadline) {
      throw new Error(`the status and results reader got no partitions in ${timeoutMs} ms`)
    }
    await sleep(100)
  }
}

/** The admin calls bench:kafka needs beyond the adapters' slice (types/kafkajs.d.ts in 1.10.1). */
export interface BenchAdmin extends VendorAdmin {
  fetchOffsets(options: {
    groupId: string
    topics: string[]
    timeout?: number
  }): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>
  deleteGroups(groupIds: string[], options?: { timeout?: number }): Promise<unknown[]>
}

/**
 * Messages of `topic` the group has not committed: per partition, the end (READ_COMMITTED, as the
 * workers read) minus the committed offset, or minus the start where the group never committed
 * (a new group reads from the earliest offset) — the lag KEDA's Kafka scaler computes.
 */
export async function groupLag(
  admin: BenchAdmin,
  client: KafkaClient,
  groupId: string,
  topic: string,
): Promise<number> {
  const isolationLevel = client.module.IsolationLevel.READ_COMMITTED
  const [marks, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic, { timeout: 5_000, isolationLevel }),
    admin.fetchOffsets({ groupId, topics: [topic], timeout: 5_000 }),
  ])
  let lag = 0
  for (const mark of marks) {
    const low = Number(mark.low)
    const offset = Number(committed?.partitions.find((p) => p.partition === mark.partition)?.offset)
    const done = Number.isFinite(offset) && offset >= 0 ? Math.max(offset, low) : low
    lag += Math.max(0, Number(mark.high) - done)
  }
  return lag
}
