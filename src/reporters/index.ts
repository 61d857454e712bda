/** The reporter registry: status, results and dead letters go where the tasks came from. */
import type { Config } from '../config/schema.ts'
import type { Logger } from '../observability/logger.ts'
import { KafkaReporter } from './kafka.ts'
import { KafkaStatusView } from './kafka-status.ts'
import { LocalReporter } from './local.ts'
import type { Reporter, StatusView } from './reporter.ts'

interface Deps {
  readonly logger: Logger
}

type Factory<T> = (config: Config, deps: Deps) => Promise<T>

export const reporters: Readonly<Record<'local' | 'kafka', Factory<Reporter>>> = {
  local: (config, deps) => LocalReporter.create({ dir: config.queue.dir }, deps),
  kafka: (config, deps) => KafkaReporter.create({ kafka: config.kafka }, deps),
}

/** Where `vectorize status` reads task states. */
export const statusViews: Readonly<
  Record<'local' | 'kafka', Factory<StatusView & { close(): Promise<void> }>>
> = {
  local: (config, deps) => LocalReporter.create({ dir: config.queue.dir }, deps),
  kafka: (config, deps) => KafkaStatusView.create({ kafka: config.kafka }, deps),
}
