/** The source registry: where tasks come from, and how `submit` puts them there. */
import type { Config } from '../config/schema.ts'
import type { Logger } from '../observability/logger.ts'
import { VectorizeError } from '../worker/errors.ts'
import { LocalPublisher, LocalSource } from './local.ts'
import type { TaskPublisher, TaskSource } from './source.ts'

export type ResolvedSourceKind = 'local' | 'kafka'

/** `auto` means Kafka as soon as brokers are configured, the embedded queue otherwise. */
export function sourceKind(config: Config): ResolvedSourceKind {
  if (config.source.kind !== 'auto') return config.source.kind
  return config.kafka.brokers.length > 0 ? 'kafka' : 'local'
}

const kafkaNotYet = () =>
  new VectorizeError(
    'config_invalid',
    'the Kafka source is not available in this version yet; unset kafka.brokers to use the embedded queue',
  )

interface Deps {
  readonly logger: Logger
}

export const sources: Readonly<
  Record<ResolvedSourceKind, (config: Config, deps: Deps) => Promise<TaskSource>>
> = {
  local: (config, deps) =>
    LocalSource.create(
      { dir: config.queue.dir, pollIntervalMs: config.queue.poll_interval_ms },
      deps,
    ),
  kafka: () => Promise.reject(kafkaNotYet()),
}

export const publishers: Readonly<
  Record<ResolvedSourceKind, (config: Config, deps: Deps) => Promise<TaskPublisher>>
> = {
  local: (config, deps) => LocalPublisher.create({ dir: config.queue.dir }, deps),
  kafka: () => Promise.reject(kafkaNotYet()),
}
