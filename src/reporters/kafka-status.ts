/**
 * KafkaStatusView: `vectorize status` in Kafka mode. Kafka keeps no index by task, so each answer
 * is a scan (kafka-scan.ts): one task's state folds the status topic's records keyed by its id (a
 * task's records share one partition, but which one depends on the producer's partitioner, so
 * every partition is read), and its result is the last record keyed by its id on the results
 * topic; counts per state fold the whole status topic. A scan is bounded by the caller's signal
 * (`--timeout`) and `scanned` says what it read and whether it reached the end.
 *
 * The fold is the embedded queue's (task-state.ts): `started` records count the attempts, and a
 * record stamped earlier than the state it would replace does not replace it.
 */
import type { KafkaDeps, KafkaSettings } from '../kafka/client.ts'
import { createClient, type KafkaClient } from '../kafka/client.ts'
import type { ResultMessage, StatusMessage, TaskState } from '../protocol/report.ts'
import type { Signal } from '../worker/types.ts'
import { scanTopic } from './kafka-scan.ts'
import type { ScanSummary, StatusView, TaskRecord } from './reporter.ts'
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

  async task(taskId: string, { signal }: Signal): Promise<TaskRecord | undefined> {
    const entry = newTaskEntry()
    const status = await scanTopic(
      this.#client,
      this.#topics.status,
      (key, value) => {
        if (key !== taskId) return
        const record = parse(value) as StatusMessage | undefined
        if (record?.task_id === taskId && isKnownStatus(record)) applyStatus(entry, record)
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
    return taskRecord(taskId, entry, result)
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

function parse(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString('utf8')) as unknown
  } catch {
    return undefined
  }
}
