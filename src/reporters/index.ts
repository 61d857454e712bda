/** The reporter registry: status, results and dead letters go where the tasks came from. */
import type { Config } from '../config/schema.ts'
import type { Logger } from '../observability/logger.ts'
import { KafkaReporter } from './kafka.ts'
import { KafkaStatusView } from './kafka-status.ts'
import { LocalReporter } from './local.ts'
import type { ReportSettings } from './local-maintenance.ts'
import type { Reporter, StatusView } from './reporter.ts'

interface Deps {
  readonly logger: Logger
}

type Factory<T> = (config: Config, deps: Deps) => Promise<T>

export interface ReporterOptions {
  /** Keep the embedded reports compacted and retained while it runs (the worker's reporter). */
  readonly maintain?: boolean
}

export const reporters: Readonly<
  Record<
    'local' | 'kafka',
    (config: Config, deps: Deps, options?: ReporterOptions) => Promise<Reporter>
  >
> = {
  local: (config, deps, options) =>
    LocalReporter.create(
      {
        dir: config.queue.dir,
        segmentBytes: config.queue.segment_bytes,
        segmentMs: config.queue.segment_ms,
        ...(options?.maintain && {
          maintenance: {
            ...reportSettings(config.queue),
            intervalMs: config.queue.maintenance_interval_ms,
          },
        }),
      },
      deps,
    ),
  kafka: (config, deps) => KafkaReporter.create({ kafka: config.kafka }, deps),
}

/** Where `vectorize status` reads task states. */
export const statusViews: Readonly<
  Record<'local' | 'kafka', Factory<StatusView & { close(): Promise<void> }>>
> = {
  local: (config, deps) => LocalReporter.create({ dir: config.queue.dir }, deps),
  kafka: (config, deps) => KafkaStatusView.create({ kafka: config.kafka }, deps),
}

/** How the embedded queue's reports are rolled, retained and compacted (`queue.*`). */
export function reportSettings(queue: Config['queue']): ReportSettings {
  return {
    segmentBytes: queue.segment_bytes,
    segmentMs: queue.segment_ms,
    dlqRetentionMs: queue.dlq_retention_ms,
    dlqRetentionBytes: queue.dlq_retention_bytes,
    statusCompactBytes: queue.status_compact_bytes,
    statusRetentionMs: queue.status_retention_ms,
    statusRetentionBytes: queue.status_retention_bytes,
    lockTimeoutMs: 30_000,
  }
}
