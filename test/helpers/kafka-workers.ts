/**
 * A Worker wired as main.ts wires one, in the test's own process, over KafkaSource, KafkaReporter
 * and the store and models the test gives it: for the Kafka tests that need to see a worker's
 * parts (its source's partitions, its RunStats) or to wrap its store. It runs until the source is
 * idle; the source and reporter are closed when it ends.
 */
import type { KafkaSettings } from '../../src/kafka/client.ts'
import { assembleWorker } from '../../src/main.ts'
import type { TransformersModels } from '../../src/models/transformers.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { KafkaReporter } from '../../src/reporters/kafka.ts'
import { KafkaSource } from '../../src/sources/kafka.ts'
import type { VectorStore } from '../../src/stores/store.ts'
import type { RunStats } from '../../src/worker/metrics.ts'
import { testConfig } from './config.ts'

const deps = { logger: silentLogger }

export interface InProcessWorker {
  readonly id: string
  readonly source: KafkaSource
  readonly stats: RunStats
  /** Settles when the worker has stopped and its source and reporter are closed. */
  readonly done: Promise<void>
  abort(): void
}

export interface WorkerOptions {
  /** `processing` settings over the defaults. */
  readonly processing?: Record<string, unknown>
  /** How often the source checks whether it is idle (KafkaSource's `idleCheckMs`). */
  readonly idleCheckMs?: number
}

export async function startKafkaWorker(
  id: string,
  parts: { settings: KafkaSettings; store: VectorStore; models: TransformersModels },
  { processing, idleCheckMs }: WorkerOptions = {},
): Promise<InProcessWorker> {
  const { settings, store, models } = parts
  const source = await KafkaSource.create(
    { kafka: settings, ...(idleCheckMs === undefined ? {} : { idleCheckMs }) },
    deps,
  )
  const reporter = await KafkaReporter.create({ kafka: settings }, deps)
  const config = testConfig({ worker: { id }, ...(processing ? { processing } : {}) })
  const { worker, stats } = assembleWorker(config, {
    source,
    store,
    reporter,
    models,
    logger: silentLogger,
  })
  const done = worker.run({ untilIdle: true }).finally(async () => {
    await source.close()
    await reporter.close()
  })
  return { id, source, stats, done, abort: () => worker.abort() }
}
