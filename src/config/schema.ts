/**
 * Every setting of the worker, its default and a one-line doc (`.describe`). This is the one
 * config schema (SPEC §4.4); `docs/configuration.md` is generated from it and env names derive
 * from its paths (config/env.ts). Durations end in `_ms`, sizes in `_bytes`.
 */
import ipaddr from 'ipaddr.js'
import { z } from 'zod'
import { devices, dtypes, poolings } from '../models/embedder.ts'
import { collectionName } from '../protocol/task.ts'
import { distances } from '../stores/store.ts'
import { payloadIndexTypes } from '../stores/qdrant-collections.ts'
import { FIELD_PATTERN } from '../stores/qdrant-filter.ts'

const port = z.number().int().min(0).max(65535)
const ms = z.number().int().min(0)
const positive = z.number().int().positive()
const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export const storeKinds = ['lancedb', 'weaviate', 'qdrant'] as const
export const sourceKinds = ['auto', 'local', 'kafka'] as const

const worker = z.strictObject({
  id: z.string().min(1).default('worker-1').describe('Worker id, unique in the cluster'),
  log_level: z.enum(logLevels).default('info').describe('Log level (JSON logs on stderr)'),
  shutdown_grace_ms: ms.default(30_000).describe('Time to drain on SIGTERM before forcing exit'),
  watchdog_ms: positive
    .default(120_000)
    .describe(
      '/health fails when inference has work but no progress (or the event loop is blocked) this long',
    ),
})

const models = z.strictObject({
  default: z
    .string()
    .min(1)
    .default('sentence-transformers/all-MiniLM-L6-v2')
    .describe('Model used when a task names none'),
  max_loaded: positive
    .default(3)
    .describe('Models kept loaded at once; least recently used is evicted'),
  max_memory_bytes: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe(
      'Budget for loaded models, counted as their ONNX + tokenizer file sizes (0 = none); least recently used are evicted to fit',
    ),
  device: z
    .enum(devices)
    .default('auto')
    .describe('Inference device; falls back to cpu when unavailable'),
  dtype: z.enum(dtypes).default('fp32').describe('Weights to load (part of the model identity)'),
  pooling: z.enum(poolings).default('mean').describe('Pooling for plain Hugging Face encoders'),
  normalize: z.boolean().default(true).describe('L2-normalise vectors'),
  dir: z
    .string()
    .default('./models')
    .describe('Local model directory searched before the hub cache'),
  cache_dir: z
    .string()
    .default('./models')
    .describe('Where hub downloads go (same layout as `dir`, so pulled models load offline)'),
  allow_remote: z
    .boolean()
    .default(false)
    .describe(
      'Download a model missing from dir/cache_dir from the Hugging Face hub; off: get models with `models pull` or `models import`',
    ),
  threads: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('ONNX Runtime intra-op threads; 0 = one per core'),
  allow_spinning: z
    .boolean()
    .default(false)
    .describe('Let idle ONNX Runtime threads busy-wait (faster on a dedicated machine)'),
})

const retry = z.strictObject({
  max_attempts: positive
    .default(30)
    .describe('Attempts for an infrastructure error before giving up'),
  max_elapsed_ms: positive
    .default(120_000)
    .describe('Retry budget: no new attempt starts after this long (covers a store restart)'),
  initial_delay_ms: ms.default(200).describe('First backoff delay'),
  max_delay_ms: ms.default(10_000).describe('Backoff cap; delays are jittered'),
})

const processing = z.strictObject({
  max_concurrent_tasks: positive
    .default(64)
    .describe('Tasks in flight at once; their items share inference batches and store writes'),
  max_batch_tokens: positive
    .default(8192)
    .describe('Padded tokens per inference batch, across tasks'),
  max_batch_wait_ms: ms
    .default(2)
    .describe('How long inference waits for more work to fill a batch'),
  max_text_bytes: positive.default(131_072).describe('Largest text of one item (UTF-8 bytes)'),
  max_message_bytes: positive.default(16 * 1024 * 1024).describe('Largest task message'),
  max_batch_items: positive.default(2048).describe('Largest number of items in a batch task'),
  max_metadata_bytes: positive
    .default(16_384)
    .describe(
      "Largest metadata object (serialised): a task's, and a JSON record's metadata fields",
    ),
  task_timeout_ms: ms
    .default(300_000)
    .describe(
      'A task working longer fails with `task_timeout`; time its texts wait behind other tasks for inference does not count',
    ),
  max_crashes: z
    .number()
    .int()
    .min(0)
    .default(3)
    .describe(
      'Kafka crash-loop guard: dead-letter a message (`crash_loop`) once this many worker processes died with it in flight; 0 = guard off',
    ),
  default_collection: collectionName
    .default('documents')
    .describe('Collection when a task names none'),
  distance: z.enum(distances).default('cosine').describe('Distance of new collections'),
  retry: retry.prefault({}),
})

const day = 24 * 60 * 60 * 1000
const mib = 1024 * 1024
/** A limit of the embedded queue's retention: -1 means none. */
const limit = z.number().int().min(-1)

const queue = z.strictObject({
  dir: z.string().default('./data/queue').describe('Embedded task queue, status and dead letters'),
  poll_interval_ms: positive.default(200).describe('How often an idle worker looks for new tasks'),
  segment_bytes: positive
    .default(64 * mib)
    .describe('Task and dead-letter logs start a new segment before one grows past this'),
  segment_ms: limit
    .default(day)
    .describe('A log segment is also closed once its first record is this old (-1: never by age)'),
  retention_ms: limit
    .default(7 * day)
    .describe(
      'Task segments, once all committed, are deleted this long after their last task (-1: kept)',
    ),
  retention_bytes: limit
    .default(1024 * mib)
    .describe(
      'Committed task segments are deleted, oldest first, while the task log is larger (-1: no limit)',
    ),
  dlq_retention_ms: limit
    .default(30 * day)
    .describe('Dead-letter segments are deleted this long after their last dead letter (-1: kept)'),
  dlq_retention_bytes: limit
    .default(1024 * mib)
    .describe(
      'Dead-letter segments are deleted, oldest first, while the dead-letter log is larger (-1: no limit)',
    ),
  status_compact_bytes: positive
    .default(64 * mib)
    .describe(
      'status.log is compacted (latest record per task) once this large and twice its last compacted size',
    ),
  status_retention_ms: limit
    .default(7 * day)
    .describe('Compaction drops finished tasks whose last state is older than this (-1: kept)'),
  status_retention_bytes: limit
    .default(1024 * mib)
    .describe('Compaction drops the oldest finished tasks beyond this much status (-1: no limit)'),
  maintenance_interval_ms: positive
    .default(30_000)
    .describe('How often a worker rolls, retains and compacts the embedded queue'),
})

const source = z.strictObject({
  kind: z
    .enum(sourceKinds)
    .default('auto')
    .describe('Task source; auto = kafka when brokers are set'),
})

const kafka = z.strictObject({
  brokers: z.array(z.string().min(1)).default([]).describe('Bootstrap brokers host:port'),
  client_id: z.string().default('vectorize').describe('Kafka client id'),
  group_id: z.string().default('vectorize-workers').describe('Consumer group shared by workers'),
  topics: z
    .strictObject({
      tasks: z.string().default('vectorize.tasks').describe('Topic the workers consume'),
      results: z.string().default('vectorize.results').describe('Topic for result messages'),
      status: z.string().default('vectorize.status').describe('Topic for status updates'),
      dlq: z.string().default('vectorize.tasks.dlq').describe('Topic for dead letters'),
      dlq_handled: z
        .string()
        .default('')
        .describe(
          'Compacted topic recording which dead letters were replayed or discarded; empty = `<dlq>.handled`',
        ),
    })
    .prefault({})
    .describe('Topic names'),
  create_topics: z.boolean().default(false).describe('Create missing topics at start-up'),
  partitions: positive.default(6).describe('Partitions of topics created by the worker'),
  replication_factor: positive.default(1).describe('Replication of topics created by the worker'),
  max_message_bytes: z
    .number()
    .int()
    .min(16_384)
    .max(1_000_000_000)
    .default(1_000_000)
    .describe(
      "Largest record the worker's producers send (librdkafka message.max.bytes); a dead letter over it is sent truncated (x-payload-truncated). Keep it at most the max.message.bytes of the status, results and dead-letter topics",
    ),
  session_timeout_ms: positive.default(45_000).describe('Consumer session timeout'),
  group_instance_id: z
    .string()
    .default('')
    .describe(
      'Static membership (group.instance.id): a stable name per worker, e.g. the pod name, lets a restarted worker take its partitions back without a rebalance; empty = dynamic',
    ),
  ssl: z.boolean().default(false).describe('Use TLS to the brokers'),
  sasl: z
    .strictObject({
      mechanism: z
        .enum(['none', 'plain', 'scram-sha-256', 'scram-sha-512'])
        .default('none')
        .describe('SASL mechanism'),
      username: z.string().default('').describe('SASL user'),
      password: z.string().default('').describe('Secret; redacted in `config print`'),
    })
    .prefault({}),
})

const weaviate = z.strictObject({
  url: z.string().default('http://127.0.0.1:8080').describe('Weaviate HTTP endpoint'),
  grpc_port: port.default(50051).describe('Weaviate gRPC port'),
  api_key: z.string().default('').describe('Secret; redacted in `config print`'),
  tls: z.boolean().default(false).describe('Use TLS (https and secure gRPC)'),
  timeout_ms: positive.default(30_000).describe('Request timeout'),
  batch_size: positive.default(200).describe('Objects per batch request'),
  concurrency: positive
    .default(2)
    .describe('Batch requests in flight at once per worker (a large upsert is cut into batches)'),
})

/** `lang:keyword` (the form an environment variable can carry) → `{field: lang, type: keyword}`. */
function fieldAndType(value: unknown): unknown {
  if (typeof value !== 'string') return value
  const at = value.lastIndexOf(':')
  return at < 0 ? { field: value } : { field: value.slice(0, at), type: value.slice(at + 1) }
}

const payloadIndex = z.preprocess(
  fieldAndType,
  z.strictObject({
    field: z.string().regex(FIELD_PATTERN, 'a top-level metadata field name'),
    type: z.enum(payloadIndexTypes),
  }),
)

const qdrant = z.strictObject({
  url: z.string().default('http://127.0.0.1:6333').describe('Qdrant REST endpoint'),
  api_key: z.string().default('').describe('Secret; redacted in `config print`'),
  timeout_ms: positive.default(30_000).describe('Request timeout'),
  batch_size: positive.default(256).describe('Points per upsert request'),
  max_batch_bytes: positive.default(8 * 1024 * 1024).describe('Requests stay below this size'),
  concurrency: positive.default(2).describe('Concurrent write requests'),
  payload_indexes: z
    .array(payloadIndex)
    .default([])
    .refine((list) => new Set(list.map((i) => i.field)).size === list.length, {
      message: 'a field is listed twice',
    })
    .describe(
      'Metadata fields that filters use, indexed in every collection: [{field: lang, type: keyword}] or lang:keyword (types: keyword, integer, float, bool)',
    ),
})

const vectorDatabases = z.strictObject({
  default: z.enum(storeKinds).default('lancedb').describe('Store the worker writes to'),
  lancedb: z
    .strictObject({
      path: z.string().default('./data/lancedb').describe('Embedded LanceDB directory'),
    })
    .prefault({}),
  weaviate: weaviate.prefault({}),
  qdrant: qdrant.prefault({}),
})

const redis = z.strictObject({
  url: z.string().default('').describe('Redis URL for heartbeats; empty = no heartbeats'),
  heartbeat_interval_ms: positive
    .default(5_000)
    .describe('How often a worker refreshes its heartbeat'),
  heartbeat_ttl_ms: positive.default(15_000).describe('A worker silent this long disappears'),
  key_prefix: z.string().default('vectorize:').describe('Prefix of every Redis key'),
})

const http = z.strictObject({
  enabled: z.boolean().default(true).describe('Serve /health, /ready and /metrics'),
  host: z.string().default('127.0.0.1').describe('Bind address (0.0.0.0 in containers)'),
  port: port.default(9464).describe('HTTP port (0 = any free port)'),
  advertise_url: z
    .string()
    .default('')
    .describe(
      'URL others reach this server at (heartbeat `metrics_url`, for the dashboard); empty = the bound address',
    ),
  probe_interval_ms: z
    .number()
    .int()
    .min(100)
    .default(2_000)
    .describe(
      'How often the source and store are probed in the background for /ready and /metrics (one probe in flight each; also its timeout)',
    ),
  probe_max_age_ms: positive
    .default(10_000)
    .describe('A probe result older than this counts as failing in /ready'),
})

const dashboard = z.strictObject({
  host: z
    .string()
    .default('127.0.0.1')
    .describe('`vectorize dashboard` bind address; beyond loopback, actions need a token'),
  port: port.default(9465).describe('Dashboard HTTP port (0 = any free port)'),
  refresh_ms: z
    .number()
    .int()
    .min(250)
    .default(2_000)
    .describe('How often the dashboard reads Redis, scrapes the workers and pushes an update'),
  scrape_timeout_ms: positive
    .default(1_000)
    .describe("Time limit of one scrape of a worker's /metrics"),
  state_window_ms: positive
    .default(3_600_000)
    .describe(
      'Kafka: the Overview counts tasks per state over this window, tailing the status topic from now minus it',
    ),
  state_max_tasks: positive
    .default(100_000)
    .describe(
      'Kafka: most tasks those counts keep in memory; beyond it the least recently updated are dropped',
    ),
  allow_actions: z
    .boolean()
    .default(false)
    .describe('Allow replaying and discarding dead letters from the page (read-only otherwise)'),
  token: z
    .string()
    .default('')
    .describe(
      'Secret every dashboard request must carry (once as `?token=`, then a cookie); required for actions beyond loopback; redacted',
    ),
})

const content = z.strictObject({
  allowed_roots: z
    .array(z.string())
    .default([])
    .describe('Local paths tasks may read (realpath-checked)'),
  allow_urls: z.boolean().default(false).describe('Allow image/document URLs'),
  allowed_schemes: z
    .array(z.enum(['http', 'https']))
    .default(['https'])
    .describe('URL schemes tasks may use'),
  url_allow_networks: z
    .array(z.string().refine((s) => ipaddr.isValid(s) || ipaddr.isValidCIDR(s), 'an IP or CIDR'))
    .default([])
    .describe(
      'Networks URLs may reach besides public addresses (CIDR; for tests and trusted internal sources)',
    ),
  max_fetch_bytes: positive.default(32 * 1024 * 1024).describe('Largest file read or download'),
  fetch_timeout_ms: positive.default(30_000).describe('Time limit of one download'),
  max_redirects: z
    .number()
    .int()
    .min(0)
    .default(3)
    .describe('Redirects followed (each re-checked)'),
  max_image_pixels: positive.default(40_000_000).describe('Largest decoded image (width × height)'),
  max_pdf_pages: positive.default(2_000).describe('Longest PDF'),
  max_chunks_per_document: positive
    .default(10_000)
    .describe('Most chunks one document may produce'),
  max_document_ms: positive
    .default(60_000)
    .describe(
      'Time limit for parsing one document, every format but plain text (its parser thread is stopped)',
    ),
  max_zip_entries: positive
    .default(2_000)
    .describe('Most entries a DOCX (zip) may list, checked before inflating'),
  max_zip_bytes: positive
    .default(256 * 1024 * 1024)
    .describe('Largest total uncompressed size a DOCX (zip) may declare or inflate to'),
  max_zip_ratio: positive
    .default(200)
    .describe('Largest uncompressed/compressed ratio of one DOCX (zip) entry'),
})

export const configSchema = z.strictObject({
  worker: worker.prefault({}),
  models: models.prefault({}),
  processing: processing.prefault({}),
  source: source.prefault({}),
  queue: queue.prefault({}),
  kafka: kafka.prefault({}),
  vector_databases: vectorDatabases.prefault({}),
  redis: redis.prefault({}),
  http: http.prefault({}),
  content: content.prefault({}),
  dashboard: dashboard.prefault({}),
})

export type Config = Readonly<z.infer<typeof configSchema>>
export type StoreKind = (typeof storeKinds)[number]

/** Paths whose values are secrets: redacted wherever config is printed or logged. */
export const secretPaths = [
  'kafka.sasl.password',
  'vector_databases.weaviate.api_key',
  'vector_databases.qdrant.api_key',
  'redis.url',
  'dashboard.token',
] as const
