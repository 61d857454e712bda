/**
 * Loading the Kafka client and building its configuration. The client,
 * `@confluentinc/kafka-javascript` (librdkafka: heartbeats on a native thread, cooperative-sticky),
 * is an optional dependency with a native build, so it is imported only when Kafka mode starts, and
 * its absence is a configuration error that names the install step.
 */
import type { Config } from '../config/schema.ts'
import type { Logger } from '../observability/logger.ts'
import { VectorizeError } from '../worker/errors.ts'
import type {
  VendorConfig,
  VendorKafka,
  VendorKafkaJS,
  VendorLogger,
  VendorModule,
} from './vendor.ts'

export type KafkaSettings = Config['kafka']

export const clientPackage = '@confluentinc/kafka-javascript'
export const clientVersion = '1.10.1'

export const installHint =
  `install it with: apt-get install -y libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev ` +
  `&& CKJS_LINKING=dynamic npm i -O -E ${clientPackage}@${clientVersion} ` +
  `(or unset kafka.brokers to use the embedded queue)`

export interface KafkaDeps {
  readonly logger: Logger
  /** Loads the client module; tests replace it to simulate a missing install. */
  readonly load?: () => Promise<VendorKafkaJS>
}

export interface KafkaClient {
  readonly kafka: VendorKafka
  readonly module: VendorKafkaJS
}

/** Imports the client; the package name is a variable so the build never needs it present. */
export async function loadKafka(name: string = clientPackage): Promise<VendorKafkaJS> {
  const loaded = await loadModule(name)
  if (!loaded.KafkaJS) {
    throw new VectorizeError('config_invalid', `${name} has no KafkaJS API; ${installHint}`)
  }
  return loaded.KafkaJS
}

/** The whole client module: the KafkaJS API and the rdkafka-style classes (kafka/reader.ts). */
export async function loadModule(name: string = clientPackage): Promise<VendorModule> {
  try {
    return (await import(name)) as VendorModule
  } catch (err) {
    const missing = (err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND'
    const what = missing
      ? `Kafka mode needs the optional dependency ${name}, which is not installed (its native build failed or was skipped)`
      : `Kafka mode needs ${name}, which is installed but failed to load (${(err as Error).message})`
    throw new VectorizeError('config_invalid', `${what}; ${installHint}`, { cause: err })
  }
}

/** A client over the configured brokers, logging through `logger`. */
export async function createClient(
  settings: KafkaSettings,
  logger: Logger,
  load: () => Promise<VendorKafkaJS> = loadKafka,
): Promise<KafkaClient> {
  if (settings.brokers.length === 0) {
    throw new VectorizeError('config_invalid', 'kafka.brokers is empty')
  }
  const module = await load()
  const kafka = new module.Kafka(commonConfig(settings, logger, module))
  return { kafka, module }
}

function commonConfig(
  settings: KafkaSettings,
  logger: Logger,
  module: VendorKafkaJS,
): VendorConfig {
  const verbose = logger.level === 'debug' || logger.level === 'trace'
  const { mechanism, username, password } = settings.sasl
  return {
    kafkaJS: {
      brokers: [...settings.brokers],
      clientId: settings.client_id,
      ssl: settings.ssl,
      ...(mechanism !== 'none' && { sasl: { mechanism, username, password } }),
      // The KafkaJS block raises librdkafka's retry backoff cap to 30 s (KafkaJS's default); keep
      // librdkafka's own 100 ms..1 s so a restarted broker is picked up quickly.
      retry: { initialRetryTime: 100, maxRetryTime: 1000 },
      // Without a logger the client prints to the console, and stdout is for `--json` output.
      // `logger` already names the component that owns this client (kafka-source...): another
      // `component` binding would write the key twice on every line (issue 10).
      logger: bridgeLogger(logger.child({ client: 'librdkafka' })),
      logLevel: verbose ? module.logLevel.INFO : module.logLevel.WARN,
    },
  }
}

/**
 * librdkafka retries broker trouble by itself and logs every failed attempt at error level, so
 * its errors are warnings here; what the caller cannot recover from reaches it as a rejection.
 * While a broker is down it repeats itself (one consumer wrote "all broker connections are down"
 * 857 times in a minute), so a warning is written once per `repeatWindowMs` for each text (numbers
 * aside): the first at once, then, while it goes on, one line per window saying how often it came.
 */
export function bridgeLogger(logger: Logger, repeatWindowMs = 30_000): VendorLogger {
  const warn = throttledWarn(logger, repeatWindowMs)
  const bridge: VendorLogger = {
    error: warn,
    warn,
    info: (message, extra) => logger.debug({ ...extra }, message),
    debug: (message, extra) => logger.trace({ ...extra }, message),
    namespace: () => bridge,
    setLogLevel: () => undefined,
  }
  return bridge
}

interface Repeats {
  count: number
  message: string
  extra: object | undefined
}

/** The fields of a line as text, for telling lines apart (a log call never throws). */
function fields(extra: object | undefined): string {
  try {
    return JSON.stringify(extra ?? {})
  } catch {
    return ''
  }
}

/** Distinct texts followed at once; past this many, lines are written as they come. */
const MAX_FOLLOWED = 256

/** `logger.warn`, each text (numbers aside) written at most once per window; see bridgeLogger. */
export function throttledWarn(logger: Logger, windowMs = 30_000) {
  const open = new Map<string, Repeats>()
  const follow = (key: string) => {
    const repeats: Repeats = { count: 0, message: '', extra: undefined }
    open.set(key, repeats)
    setTimeout(() => {
      open.delete(key)
      if (repeats.count === 0) return
      const { count, message, extra } = repeats
      logger.warn({ ...extra, repeated: count, window_ms: windowMs }, message)
      follow(key) // still going on: the next line in a window again
    }, windowMs).unref()
  }
  return (message: string, extra?: object) => {
    const key = `${message}\u0000${fields(extra)}`.replace(/\d+/g, '#')
    const repeats = open.get(key)
    if (repeats) {
      Object.assign(repeats, { count: repeats.count + 1, message, extra })
      return
    }
    logger.warn({ ...extra }, message)
    if (open.size < MAX_FOLLOWED) follow(key)
  }
}

/** The same brokers, TLS and SASL settings in librdkafka's own keys, for the rdkafka-style API. */
export function rdkafkaConfig(settings: KafkaSettings): VendorConfig {
  const { mechanism, username, password } = settings.sasl
  const sasl = mechanism !== 'none'
  const protocol = `${sasl ? 'sasl_' : ''}${settings.ssl ? 'ssl' : 'plaintext'}`
  return {
    'bootstrap.servers': settings.brokers.join(','),
    'client.id': settings.client_id,
    'security.protocol': protocol,
    ...(sasl && {
      'sasl.mechanisms': mechanism.toUpperCase(),
      'sasl.username': username,
      'sasl.password': password,
    }),
  }
}
