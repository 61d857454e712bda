/**
 * KafkaStatusView: `vectorize status` in Kafka mode. Kafka keeps no index by task, so each answer
 * is a scan (kafka-scan.ts): one task's state folds the status topic's records keyed by its id (a
 * task's records share one partition, but which one depends on the producer's partitioner, so
 * every partition is read), and its result is the last record keyed by its id on the results
 * topic; counts per state fold the whole status topic. A scan is bounded by the caller's signal
 * (`--timeout`) and `scanned` says what it read and whether it reached the end.
 *
 * The fold is the embedded queue's (task-state.ts): `started` records count the attempts, and a
 * record stamped earlier than the state it would replace does not replace it. Asked for a task's
 * history, the same scan keeps the task's records (task-history.ts) instead of only folding them:
 * in offset order within a partition, and by timestamp across partitions where a task's records
 * landed on more than one.
 */
import type { KafkaDeps, KafkaSettings } from '../kafka/client.ts'
import { createClient, type KafkaClient } from '../kafka/client.ts'
import type { ResultMessage, StatusMessage, TaskState } from '../protocol/report.ts'
import type { Signal } from '../worker/types.ts'
import { scanTopic, type RecordPlace } from './kafka-scan.ts'
import type { ScanSummary, StatusView, TaskHistory, TaskQuery, TaskRecord } from './reporter.ts'
import { Bounded, taskHistory, type ReadStatus } from './task-history.ts'
import {
  applyStatus,
  countStates,
  isKnownStatus,
  newTaskEntry,
  taskRecord,
  type TaskEntry,
} from './task-state.ts'

export interface KafkaStatusConfig {
  readonly kafka: KafkaSettings
}

export class KafkaStatusView implements StatusView {
  readonly #client: KafkaClient
  readonly #topics: KafkaSettings['topics']
  #scanned: ScanSummary[] = []

  static async create(config: KafkaStatusConfig, deps: KafkaDeps): Promise<KafkaStatusView> {
    const logger = deps.logger.child({ component: 'kafka-status' })
    const client = await createClient(config.kafka, logger, deps.load)
    return new KafkaStatusView(client, config.kafka.topics)
  }

  private constructor(client: KafkaClient, topics: KafkaSettings['topics']) {
    this.#client = client
    this.#topics = topics
  }

  /** The topics the last call read and how far; empty before any. */
  get scanned(): readonly ScanSummary[] {
    return this.#scanned
  }

  async task(taskId: string, opts: TaskQuery): Promise<TaskRecord | undefined> {
    const { signal } = opts
    const entry = newTaskEntry()
    const kept = new Map<number, Bounded<Placed>>()
    const status = await scanTopic(
      this.#client,
      this.#topics.status,
      (key, value, place) => {
        if (key !== taskId) return
        const record = parse(value) as StatusMessage | undefined
        if (record?.task_id !== taskId || !isKnownStatus(record)) return
        applyStatus(entry, record)
        if (!opts.history) return
        let records = kept.get(place.partition)
        if (!records) kept.set(place.partition, (records = new Bounded()))
        records.add({ status: record, ...place })
      },
      signal,
    )
    this.#scanned = [status]
    if (entry.state === undefined) return undefined
    let result: ResultMessage | undefined
    if (entry.state === 'succeeded' && !signal.aborted) {
      const results = await scanTopic(
        this.#client,
        this.#topics.results,
        (key, value) => {
          const record = key === taskId ? (parse(value) as ResultMessage | undefined) : undefined
          if (record?.task_id === taskId) result = record
        },
        signal,
      )
      this.#scanned.push(results)
    }
    return taskRecord(taskId, entry, result, opts.history ? merged(kept) : undefined)
  }

  async counts({ signal }: Signal): Promise<Record<TaskState, number>> {
    const entries = new Map<string, TaskEntry>()
    const status = await scanTopic(
      this.#client,
      this.#topics.status,
      (_key, value) => {
        const record = parse(value) as StatusMessage | undefined
        if (typeof record?.task_id !== 'string' || !isKnownStatus(record)) return
        let entry = entries.get(record.task_id)
        if (!entry) entries.set(record.task_id, (entry = newTaskEntry()))
        applyStatus(entry, record)
      },
      signal,
    )
    this.#scanned = [status]
    return countStates(entries.values())
  }

  close(): Promise<void> {
    return Promise.resolve() // each scan closes its own consumer
  }
}

type Placed = ReadStatus & RecordPlace

/** The records kept per partition as one history: by timestamp across partitions. */
function merged(kept: ReadonlyMap<number, Bounded<Placed>>): TaskHistory {
  const parts = [...kept.values()]
  const records = parts.flatMap((p) => p.items)
  if (parts.length > 1) {
    records.sort(
      (a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset,
    )
  }
  return taskHistory(
    records,
    parts.reduce((n, p) => n + p.omitted, 0),
  )
}

function parse(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString('utf8')) as unknown
  } catch {
    return undefined
  }
}
