/** The dead-letter log registry: the dead letters of the mode the tasks come from. */
import type { Config } from '../config/schema.ts'
import type { Logger } from '../observability/logger.ts'
import type { TaskPublisher } from '../sources/source.ts'
import type { DeadLetterLog } from './dead-letter.ts'
import { KafkaDeadLetterLog } from './kafka.ts'
import { LocalDeadLetterLog } from './local.ts'

interface Deps {
  readonly logger: Logger
  /** The queue's publisher, opened on the first replay (embedded mode). */
  readonly publisher: () => Promise<TaskPublisher>
}

export const deadLetterLogs: Readonly<
  Record<'local' | 'kafka', (config: Config, deps: Deps) => Promise<DeadLetterLog>>
> = {
  local: (config, deps) => Promise.resolve(new LocalDeadLetterLog(config.queue.dir, deps)),
  kafka: (config, deps) => KafkaDeadLetterLog.open(config.kafka, deps),
}
