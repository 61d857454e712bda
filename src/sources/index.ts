/** The source registry: where tasks come from, and how `submit` puts them there. */
import type { Config } from '../config/schema.ts'
import type { Logger } from '../observability/logger.ts'
import { KafkaPublisher, KafkaSource } from './kafka.ts'
import { LocalPublisher, LocalSource } from './local.ts'
import type { TaskLogSettings } from './local-maintenance.ts'
import type { TaskPublisher, TaskSource } from './source.ts'

export type ResolvedSourceKind = 'local' | 'kafka'

/** `auto` means Kafka as soon as brokers are configured, the embedded queue otherwise. */
export function sourceKind(config: Config): ResolvedSourceKind {
  if (config.source.kind !== 'auto') return config.source.kind
  return config.kafka.brokers.length > 0 ? 'kafka' : 'local'
}

interface Deps {
  readonly logger: Logger
}

type Factory<T> = (config: Config, deps: Deps) => Promise<T>

export const sources: Readonly<Record<ResolvedSourceKind, Factory<TaskSource>>> = {
  local: (config, deps) =>
    LocalSource.create(
      {
        dir: config.queue.dir,
        pollIntervalMs: config.queue.poll_interval_ms,
        maintenance: {
          ...taskLogSettings(config.queue),
          intervalMs: config.queue.maintenance_interval_ms,
        },
      },
      deps,
    ),
  kafka: (config, deps) =>
    KafkaSource.create(
      { kafka: config.kafka, crashGuard: config.processing.max_crashes > 0 },
      deps,
    ),
}

export const publishers: Readonly<Record<ResolvedSourceKind, Factory<TaskPublisher>>> = {
  local: (config, deps) =>
    LocalPublisher.create(
      {
        dir: config.queue.dir,
        segmentBytes: config.queue.segment_bytes,
        segmentMs: config.queue.segment_ms,
      },
      deps,
    ),
  kafka: (config, deps) => KafkaPublisher.create({ kafka: config.kafka }, deps),
}

/** How the embedded queue's task log is rolled and retained (`queue.*`). */
export function taskLogSettings(queue: Config['queue']): TaskLogSettings {
  return {
    segmentBytes: queue.segment_bytes,
    segmentMs: queue.segment_ms,
    retentionMs: queue.retention_ms,
    retentionBytes: queue.retention_bytes,
    lockTimeoutMs: 30_000,
  }
}
