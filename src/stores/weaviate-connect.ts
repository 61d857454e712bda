/** The weaviate-client connection of WeaviateStore, and collection handles. */
import weaviate, {
  ApiKey,
  type Collection,
  type Properties,
  type WeaviateClient,
} from 'weaviate-client'
import { VectorizeError } from '../worker/errors.ts'
import { translateWeaviateError } from './weaviate-errors.ts'

export interface WeaviateConfig {
  readonly url: string
  readonly grpc_port: number
  readonly api_key: string
  readonly tls: boolean
  readonly timeout_ms: number
  readonly batch_size: number
  /** Batch requests in flight at once (1 when absent). */
  readonly concurrency?: number
}

export type Handle = Collection<Properties, string>

/** A client for `config`, without a round trip: a server that is down now is retried per call. */
export async function connect(config: WeaviateConfig): Promise<WeaviateClient> {
  let url: URL
  try {
    url = new URL(config.url)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)')
  } catch {
    throw new VectorizeError(
      'config_invalid',
      `vector_databases.weaviate.url ${JSON.stringify(config.url)} is not an http(s) URL`,
    )
  }
  const secure = url.protocol === 'https:' || config.tls
  const seconds = Math.max(1, Math.ceil(config.timeout_ms / 1000))
  return weaviate
    .connectToCustom({
      httpHost: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      httpPort: Number(url.port || (secure ? 443 : 80)),
      httpPath: url.pathname.replace(/\/+$/, ''),
      httpSecure: secure,
      grpcHost: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      grpcPort: config.grpc_port,
      grpcSecure: config.tls,
      authCredentials: config.api_key === '' ? undefined : new ApiKey(config.api_key),
      timeout: { query: seconds, insert: seconds, init: seconds },
      skipInitChecks: true,
    })
    .catch((err: unknown) => Promise.reject(translateWeaviateError(err, `connect ${config.url}`)))
}

/**
 * A collection handle. weaviate-client (3.12 to 3.14 at least) starts a GET /v1/meta when a handle
 * is made (the aggregate's `grpcChecker`, assigned in its constructor with no catch) and leaves its
 * rejection unhandled, which would end the process if the server is down at that moment; the
 * rejection is observed here (count then fails, and the handle is replaced, see WeaviateStore #fail).
 */
export function useCollection(client: WeaviateClient, cls: string): Handle {
  const handle = client.collections.use<string, Properties>(cls)
  const checker = (handle.aggregate as unknown as { grpcChecker?: Promise<unknown> }).grpcChecker
  checker?.catch(() => undefined)
  return handle
}
