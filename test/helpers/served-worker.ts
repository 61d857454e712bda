/**
 * `runWorker` in this process, as `vectorize worker` runs it (HTTP endpoints, Prometheus metrics),
 * over a fresh embedded queue and LanceDB, with every log line captured. Cleanup is registered.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import type { Config } from '../../src/config/schema.ts'
import type { Logger } from '../../src/observability/logger.ts'
import { openPublisher, Resources, runWorker } from '../../src/main.ts'
import type { RunStats } from '../../src/worker/metrics.ts'
import type { Cleanup } from './cli.ts'
import { testConfig } from './config.ts'
import { DEFAULT_MODEL } from './cli.ts'
import { testModels } from './models.ts'
import { waitUntil } from './wait.ts'

export interface ServedWorker {
  readonly url: string
  /** Every JSON log line so far, as written. */
  readonly logs: string[]
  /** Resolves when the worker has drained the queue (`--exit-when-idle`). */
  readonly finished: Promise<RunStats>
  readonly config: Config
}

type Sections = Parameters<typeof testConfig>[0]

/** Publishes `messages` to a new queue, then runs a worker over it until the queue is empty. */
export async function runServedWorker(
  cleanup: Cleanup,
  messages: readonly unknown[],
  sections: Sections = {},
): Promise<ServedWorker> {
  const models = await testModels()
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-served-'))
  const resources = new Resources()
  const config = testConfig({
    ...sections,
    worker: { log_level: 'trace', ...sections?.worker },
    models: {
      default: DEFAULT_MODEL,
      dir: models,
      cache_dir: models,
      allow_remote: false,
      threads: 1,
      ...sections?.models,
    },
    queue: { dir: join(dir, 'queue'), poll_interval_ms: 20 },
    vector_databases: { default: 'lancedb', lancedb: { path: join(dir, 'lancedb') } },
    http: { port: 0 },
  })
  const logs: string[] = []
  const logger = pino(
    { level: config.worker.log_level },
    { write: (line: string) => logs.push(line) },
  )
  const deps = { config, logger, resources }
  await publish(deps, messages)
  const finished = runWorker(deps, { untilIdle: true, serve: { version: 'test' } })
  finished.catch(() => undefined) // awaited by the test; this only keeps an early failure from going unhandled
  cleanup(async () => {
    await finished.catch(() => undefined)
    await resources.close()
    await rm(dir, { recursive: true, force: true })
  })
  let url = ''
  await waitUntil(
    () => 'the worker to log its HTTP address',
    () => {
      const line = logs.find((l) => l.includes('"http listening'))
      url = line ? (JSON.parse(line) as { url: string }).url : ''
      return url !== ''
    },
    { timeoutMs: 30_000, intervalMs: 20 },
  )
  return { url, logs, finished, config }
}

async function publish(
  deps: { config: Config; logger: Logger; resources: Resources },
  messages: readonly unknown[],
): Promise<void> {
  const own = { ...deps, resources: new Resources() }
  try {
    const publisher = await openPublisher(own)
    const encoded = messages.map((m) =>
      new TextEncoder().encode(typeof m === 'string' ? m : JSON.stringify(m)),
    )
    await publisher.publish(encoded, { signal: AbortSignal.timeout(30_000) })
  } finally {
    await own.resources.close()
  }
}
