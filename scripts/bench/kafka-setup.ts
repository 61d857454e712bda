/**
 * What one bench:kafka run sets up and takes down: fresh names (topics, group, collection) so that
 * runs on a shared broker and Weaviate never collide, the workers' environment, the `vectorize`
 * processes, and the store the workers write to (counted at the end, then dropped).
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { packageRoot } from '../../src/cli/package-root.ts'
import type { FlagSetting } from '../../src/config/load.ts'
import { configSchema } from '../../src/config/schema.ts'
import type { KafkaSettings } from '../../src/kafka/client.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { stores } from '../../src/stores/index.ts'
import { className } from '../../src/stores/weaviate-names.ts'

export type StoreTarget =
  | { readonly kind: 'weaviate'; readonly url: string; readonly grpcPort: number }
  | { readonly kind: 'lancedb' }

export interface Names {
  readonly settings: KafkaSettings
  readonly collection: string
}

const CLI = join(packageRoot(), 'bin', 'vectorize.js')

/** Topics, group and collection named after a fresh random tag. */
export function freshNames(brokers: readonly string[], partitions: number): Names {
  const tag = randomBytes(5).toString('hex')
  const name = (what: string) => `vectorize-bench-${tag}-${what}`
  const settings = configSchema.parse({
    kafka: {
      brokers,
      group_id: name('workers'),
      partitions,
      topics: {
        tasks: name('tasks'),
        status: name('status'),
        results: name('results'),
        dlq: name('dlq'),
      },
    },
  }).kafka
  return { settings, collection: `bench_${tag}` }
}

export interface WorkerPaths {
  readonly dir: string
  readonly modelsDir: string
  readonly model: string
}

/** The environment every `vectorize` process of a run gets (VECTORIZE_WORKER_* of the caller too). */
export function workerEnv(names: Names, store: StoreTarget, paths: WorkerPaths): NodeJS.ProcessEnv {
  const { settings } = names
  const kv: Record<string, string> = {
    KAFKA_BROKERS: settings.brokers.join(','),
    KAFKA_GROUP_ID: settings.group_id,
    KAFKA_TOPICS_TASKS: settings.topics.tasks,
    KAFKA_TOPICS_RESULTS: settings.topics.results,
    KAFKA_TOPICS_STATUS: settings.topics.status,
    KAFKA_TOPICS_DLQ: settings.topics.dlq,
    QUEUE_DIR: join(paths.dir, 'queue'),
    VECTOR_DATABASES_DEFAULT: store.kind,
    VECTOR_DATABASES_LANCEDB_PATH: join(paths.dir, 'lancedb'),
    MODELS_DIR: paths.modelsDir,
    MODELS_CACHE_DIR: paths.modelsDir,
    MODELS_DEFAULT: paths.model,
    MODELS_ALLOW_REMOTE: 'false',
    HTTP_HOST: '127.0.0.1',
    WORKER_LOG_LEVEL: process.env.VECTORIZE_WORKER_WORKER_LOG_LEVEL ?? 'warn',
  }
  if (store.kind === 'weaviate') {
    kv.VECTOR_DATABASES_WEAVIATE_URL = store.url
    kv.VECTOR_DATABASES_WEAVIATE_GRPC_PORT = String(store.grpcPort)
  }
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const [key, value] of Object.entries(kv)) env[`VECTORIZE_WORKER_${key}`] = value
  return env
}

/** `count` TCP ports free on 127.0.0.1 now, one per worker's /ready. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer())
  const ports = await Promise.all(
    servers.map(
      (server) =>
        new Promise<number>((resolve, reject) => {
          server.once('error', reject)
          server.listen(0, '127.0.0.1', () => {
            const address = server.address()
            resolve(typeof address === 'object' && address ? address.port : 0)
          })
        }),
    ),
  )
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  return ports
}

/** `--set KEY=VALUE` arguments as the CLI reads them (and as loadConfig takes them). */
export function setFlags(sets: readonly string[]): FlagSetting[] {
  return sets.map((pair) => {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new Error(`--set expects KEY=VALUE, got ${JSON.stringify(pair)}`)
    return { key: pair.slice(0, eq), raw: pair.slice(eq + 1), flag: `--set ${pair.slice(0, eq)}` }
  })
}

export type Cli = ReturnType<typeof cli>

/** Spawns `vectorize ARGS`; keeps the tail of stderr for error messages. */
export function cli(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string) {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)))
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => resolve(code))
  })
  return { child, exited, stderr: () => stderr }
}

function storeConfig(store: StoreTarget, dir: string) {
  return configSchema.parse({
    vector_databases: {
      default: store.kind,
      lancedb: { path: join(dir, 'lancedb') },
      ...(store.kind === 'weaviate' && {
        weaviate: { url: store.url, grpc_port: store.grpcPort },
      }),
    },
  }).vector_databases
}

/** Vectors stored in `collection`, counted through vectorize's own adapter. */
export async function storedCount(store: StoreTarget, dir: string, collection: string) {
  const adapter = await stores[store.kind](storeConfig(store, dir), { logger: silentLogger })
  try {
    return await adapter.count(collection, { signal: AbortSignal.timeout(60_000) })
  } finally {
    await adapter.close()
  }
}

/** Drops the run's Weaviate class (a LanceDB table goes with the run's directory). */
export async function dropCollection(store: StoreTarget, collection: string): Promise<void> {
  if (store.kind !== 'weaviate') return
  const url = `${store.url.replace(/\/$/, '')}/v1/schema/${className(collection)}`
  const res = await fetch(url, { method: 'DELETE', signal: AbortSignal.timeout(30_000) })
  if (!res.ok && res.status !== 404) {
    console.error(`could not drop Weaviate class ${className(collection)}: HTTP ${res.status}`)
  }
}
