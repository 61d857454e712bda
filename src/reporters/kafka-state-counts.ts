/**
 * KafkaStateCounts: tasks per state over the last `windowMs`, for the dashboard's Overview in Kafka
 * mode. Counting the whole status topic on every refresh would be unbounded, so one tail per
 * dashboard (kafka/tail.ts) reads the status topic from `now − windowMs` on, outside any consumer
 * group and without committing, and folds it into a bounded StateWindow. Pages read the counts from
 * memory; however many are open, the broker sees one consumer.
 */
import type { KafkaSettings } from '../kafka/client.ts'
import type { RdConsumerDeps, TopicRecord } from '../kafka/rd-consumer.ts'
import { TopicTail } from '../kafka/tail.ts'
import { VectorizeError } from '../worker/errors.ts'
import { StateWindow, type WindowCounts, type WindowSettings } from './state-window.ts'
import { isKnownStatus } from './task-state.ts'

export interface StateCounts extends WindowCounts, WindowSettings {
  /** Every partition was read up to its end at least once: before that, counts are still growing. */
  readonly caughtUp: boolean
  /** Why the tail is not reading now, while it is not (it keeps trying). */
  readonly error?: string
}

export interface StateCountsOptions extends WindowSettings {
  readonly retryMs?: number
}

export class KafkaStateCounts {
  readonly #tail: TopicTail
  readonly #window: StateWindow
  readonly #settings: WindowSettings
  #records = 0

  static start(
    kafka: KafkaSettings,
    deps: RdConsumerDeps,
    options: StateCountsOptions,
  ): KafkaStateCounts {
    return new KafkaStateCounts(kafka, deps, options)
  }

  private constructor(kafka: KafkaSettings, deps: RdConsumerDeps, options: StateCountsOptions) {
    const { windowMs, maxTasks } = options
    this.#settings = { windowMs, maxTasks }
    this.#window = new StateWindow(this.#settings)
    this.#tail = TopicTail.start(kafka, deps, {
      topic: kafka.topics.status,
      groupId: `${kafka.group_id}.dashboard-states`,
      code: 'reporter_unavailable',
      since: () => Date.now() - windowMs,
      onRecords: (records) => this.#fold(records),
      ...(options.retryMs !== undefined && { retryMs: options.retryMs }),
    })
  }

  /** Records read from the status topic so far. */
  get records(): number {
    return this.#records
  }

  /** The counts now; refused while the tail has never read the topic (it says why). */
  counts(now = Date.now()): StateCounts {
    const state = this.#tail.state
    if (state.partitions === 0) {
      throw new VectorizeError(
        'reporter_unavailable',
        `not reading the status topic yet: ${state.error ?? 'starting'}`,
      )
    }
    return {
      ...this.#window.counts(now),
      ...this.#settings,
      caughtUp: state.caughtUp,
      ...(state.error !== undefined && { error: state.error }),
    }
  }

  close(): Promise<void> {
    return this.#tail.close()
  }

  #fold(records: readonly TopicRecord[]): void {
    const now = Date.now()
    this.#records += records.length
    for (const record of records) {
      const status = parse(record.value) as { task_id?: unknown; state?: unknown } | undefined
      if (!isKnownStatus(status) || typeof status.task_id !== 'string') continue
      const written = record.timestamp > 0 ? record.timestamp : Date.parse(status.at)
      this.#window.add(status, written, now)
    }
  }
}

function parse(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString('utf8')) as unknown
  } catch {
    return undefined
  }
}
