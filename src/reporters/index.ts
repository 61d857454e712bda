/** The reporter registry: status, results and dead letters go where the tasks came from. */
import type { Config } from '../config/schema.ts'
import type { Logger } from '../observability/logger.ts'
import { VectorizeError } from '../worker/errors.ts'
import { LocalReporter } from './local.ts'
import type { Reporter, StatusView } from './reporter.ts'

interface Deps {
  readonly logger: Logger
}

export const reporters: Readonly<
  Record<'local' | 'kafka', (config: Config, deps: Deps) => Promise<Reporter & StatusView>>
> = {
  local: (config, deps) => LocalReporter.create({ dir: config.queue.dir }, deps),
  kafka: () =>
    Promise.reject(
      new VectorizeError(
        'config_invalid',
        'the Kafka reporter is not available in this version yet',
      ),
    ),
}
