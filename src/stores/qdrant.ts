/**
 * QdrantStore: the VectorStore on a Qdrant server, over its REST API (@qdrant/js-client-rest).
 *
 * Every write waits (`wait=true`) until Qdrant has applied it, so an acknowledged upsert is
 * searchable and durable in its WAL. Upserts are cut into requests bounded by count and bytes
 * (Qdrant refuses bodies over `service.max_request_size_mb`, 32 MiB by default) and at most
 * `concurrency` requests run at once per store. Qdrant rejects a whole request for one bad point,
 * so points are checked before sending and a rejected request is split in halves until the
 * rejected point(s) stand alone: those are reported in `failed`, the others are written.
 * Collections and identity: qdrant-collections.ts; points and batches: qdrant-points.ts; filters:
 * qdrant-filter.ts; requests and errors: qdrant-http.ts, qdrant-errors.ts.
 */
import type { Logger } from '../observability/logger.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'
import {
  checkDelete,
  checkFetch,
  checkName,
  checkQuery,
  checkSpec,
  compareSpecs,
} from './checks.ts'
import { KeyedMutex } from './mutex.ts'
import {
  createBody,
  missingIndexes,
  mistypedIndexes,
  payloadIndexes,
  specOf,
  type CollectionInfoLike,
  type PayloadIndex,
  type PayloadIndexSetting,
} from './qdrant-collections.ts'
import { refusedPoints, status } from './qdrant-errors.ts'
import { QdrantHttp, type Api } from './qdrant-http.ts'
import { documentTail, toQdrantFilter, type QdrantFilter } from './qdrant-filter.ts'
import { Limiter } from './limiter.ts'
import {
  cutBatches,
  pointId,
  preparePoints,
  toHit,
  toStored,
  type Prepared,
} from './qdrant-points.ts'
import { fetchInPieces } from './records.ts'
import type {
  CollectionInfo,
  CollectionSpec,
  SearchHit,
  SearchQuery,
  StoredRecord,
  UpsertFailure,
  UpsertResult,
  VectorRecord,
  VectorStore,
} from './store.ts'

export interface QdrantConfig {
  readonly url: string
  readonly api_key: string
  readonly timeout_ms: number
  readonly batch_size: number
  readonly max_batch_bytes: number
  readonly concurrency: number
  /** Metadata fields to index in every collection (none when absent). */
  readonly payload_indexes?: readonly PayloadIndexSetting[]
}

export interface QdrantDeps {
  readonly logger: Logger
}

export class QdrantStore implements VectorStore {
  readonly kind = 'qdrant'
  readonly #http: QdrantHttp
  readonly #api: Api
  readonly #config: QdrantConfig
  readonly #logger: Logger
  readonly #specs = new Map<string, CollectionSpec>()
  readonly #creating = new KeyedMutex()
  readonly #writes: Limiter
  readonly #indexes: readonly PayloadIndex[]
  #closed = false

  private constructor(config: QdrantConfig, logger: Logger) {
    this.#http = QdrantHttp.connect(config, (signal) => this.#guard(signal))
    this.#api = this.#http.api
    this.#config = config
    this.#logger = logger
    this.#writes = new Limiter(config.concurrency)
    this.#indexes = payloadIndexes(config.payload_indexes ?? [])
  }

  /** Connects lazily: the first request reaches the server (`health` checks it up front). */
  static create(config: QdrantConfig, deps: QdrantDeps): Promise<QdrantStore> {
    const logger = deps.logger.child({ store: 'qdrant' })
    if (config.api_key !== '' && config.url.startsWith('http:')) {
      logger.warn({ url: config.url }, 'the Qdrant API key is sent over plain http')
    }
    logger.debug({ url: config.url }, 'qdrant store created')
    return Promise.resolve(new QdrantStore(config, logger))
  }

  async ensureCollection(spec: CollectionSpec, { signal }: Signal): Promise<void> {
    this.#guard(signal)
    checkSpec(spec)
    await this.#creating.run(spec.name, async () => {
      const info = (await this.#describe(spec.name, signal)) ?? (await this.#create(spec, signal))
      compareSpecs(specOf(spec.name, info), spec)
      await this.#index(spec.name, info, signal)
    })
  }

  /** Creates the payload indexes the collection lacks (qdrant-collections.ts payloadIndexes). */
  async #index(name: string, info: CollectionInfoLike, signal: AbortSignal): Promise<void> {
    for (const index of missingIndexes(info, this.#indexes)) {
      await this.#http.call(`index ${index.field_name} of ${name}`, signal, (init) =>
        this.#api.createFieldIndex({ collection_name: name, wait: true, ...index }, init),
      )
      this.#logger.info({ collection: name, ...index }, 'payload index created')
    }
    for (const index of mistypedIndexes(info, this.#indexes)) {
      this.#logger.warn(
        { collection: name, ...index },
        'payload index has another type than configured; left as it is',
      )
    }
  }

  /**
   * Creates the collection; when that fails because another worker created it meanwhile (409 on
   * current servers), the collection that exists is returned, to be compared like any other.
   */
  async #create(spec: CollectionSpec, signal: AbortSignal): Promise<CollectionInfoLike> {
    try {
      await this.#http.call(`create collection ${spec.name}`, signal, (init) =>
        this.#api.createCollection({ collection_name: spec.name, ...createBody(spec) }, init),
      )
      this.#logger.info({ collection: spec.name, ...spec }, 'collection created')
    } catch (err) {
      const raced = !(err instanceof VectorizeError) || err.retriable ? undefined : status(err)
      if (raced === undefined || (await this.#describe(spec.name, signal)) === undefined) throw err
    }
    const info = await this.#describe(spec.name, signal)
    if (info === undefined) throw this.#missing('ensureCollection', spec.name)
    return info
  }

  async upsert(
    collection: string,
    records: readonly VectorRecord[],
    { signal }: Signal,
  ): Promise<UpsertResult> {
    this.#guard(signal)
    checkName(collection)
    if (records.length === 0) return { failed: [] }
    const spec = await this.#require(collection, 'upsert', signal)
    const { points, failed } = preparePoints(records, spec)
    const { batch_size, max_batch_bytes } = this.#config
    const batches = cutBatches(points, batch_size, max_batch_bytes)
    const results = await Promise.all(batches.map((b) => this.#send(collection, b, signal))).catch(
      (err: unknown) => {
        throw this.#forget(collection, 'upsert', err)
      },
    )
    const all = [...failed, ...results.flat()].sort((a, b) => a.index - b.index)
    return { failed: all.map((f) => ({ ...f, id: String(records[f.index]?.id) })) }
  }

  /** Sends one batch; a refused batch is bisected so only the refused points fail. */
  async #send(collection: string, batch: Prepared[], signal: AbortSignal) {
    const failed: UpsertFailure[] = []
    try {
      await this.#writes.run(() =>
        this.#http.call(`upsert ${collection}`, signal, (init) =>
          this.#api.upsertPoints(
            { collection_name: collection, wait: true, points: batch.map((p) => p.point) },
            init,
          ),
        ),
      )
    } catch (err) {
      if (!refusedPoints(err)) throw err
      const first = batch[0]
      if (batch.length === 1 && first !== undefined) {
        failed.push({ index: first.index, id: first.point.id, reason: (err as Error).message })
      } else {
        const half = Math.ceil(batch.length / 2)
        failed.push(...(await this.#send(collection, batch.slice(0, half), signal)))
        failed.push(...(await this.#send(collection, batch.slice(half), signal)))
      }
    }
    return failed
  }

  async deleteDocument(
    collection: string,
    documentId: string,
    fromChunk: number,
    { signal }: Signal,
  ): Promise<number> {
    this.#guard(signal)
    checkDelete(collection, fromChunk)
    await this.#require(collection, 'deleteDocument', signal)
    const filter = documentTail(documentId, fromChunk)
    // Qdrant's delete reports no count: count first (exact), then delete by the same filter.
    const count = await this.#count(collection, filter, signal)
    if (count === 0) return 0
    await this.#writes.run(() =>
      this.#http.call(`deleteDocument ${collection}`, signal, (init) =>
        this.#api.deletePoints({ collection_name: collection, wait: true, filter }, init),
      ),
    )
    return count
  }

  async search(collection: string, query: SearchQuery, { signal }: Signal): Promise<SearchHit[]> {
    this.#guard(signal)
    checkName(collection)
    const spec = await this.#require(collection, 'search', signal)
    checkQuery(spec, query)
    const filter = toQdrantFilter(query.filter)
    const result = await this.#http
      .call(`search ${collection}`, signal, (init) =>
        this.#api.queryPoints(
          {
            collection_name: collection,
            query: Array.from(query.vector),
            limit: query.k,
            with_payload: true,
            ...(filter === undefined ? {} : { filter }),
          },
          init,
        ),
      )
      .catch((err: unknown) => {
        throw this.#forget(collection, 'search', err)
      })
    return result.points.map((p) => toHit(p, spec)).sort((a, b) => b.score - a.score)
  }

  /** Retrieves points by id, a piece per request; a 404 (no such collection) gives []. */
  async fetch(
    collection: string,
    ids: readonly string[],
    { signal }: Signal,
  ): Promise<StoredRecord[]> {
    this.#guard(signal)
    checkFetch(collection, ids)
    return fetchInPieces(ids, signal, async (piece) => {
      try {
        const points = await this.#http.call(`fetch ${collection}`, signal, (init) =>
          this.#api.getPoints(
            {
              collection_name: collection,
              ids: [...new Set(piece.map(pointId))],
              with_payload: true,
              with_vector: false,
            },
            init,
          ),
        )
        return points.map(toStored)
      } catch (err) {
        if (status(err) !== 404) throw err
        this.#specs.delete(collection)
        return undefined
      }
    })
  }

  async count(collection: string, { signal }: Signal): Promise<number> {
    this.#guard(signal)
    checkName(collection)
    return this.#count(collection, undefined, signal)
  }

  async collections({ signal }: Signal): Promise<CollectionInfo[]> {
    this.#guard(signal)
    const listed = await this.#http.call('list collections', signal, (init) =>
      this.#api.getCollections({}, init),
    )
    const infos: CollectionInfo[] = []
    for (const { name } of listed.collections) {
      const info = await this.#describe(name, signal)
      if (info === undefined) continue // dropped since the listing
      let spec: CollectionSpec
      try {
        spec = specOf(name, info)
      } catch (err) {
        this.#logger.debug(
          { collection: name, err },
          'skipping a collection vectorize did not make',
        )
        continue
      }
      infos.push({ ...spec, count: await this.#count(name, undefined, signal) })
    }
    return infos
  }

  /**
   * Lists the collections: a call that needs the API key when the server has one (`GET /` does
   * not, so it would call a store healthy whose every write then gets 401).
   */
  async health({ signal }: Signal): Promise<void> {
    this.#guard(signal)
    const listed = await this.#http.call('health', signal, (init) =>
      this.#api.getCollections({}, init),
    )
    if (!Array.isArray(listed.collections)) {
      throw new VectorizeError('store_unavailable', `${this.#config.url} is not a Qdrant server`)
    }
  }

  close(): Promise<void> {
    this.#closed = true
    this.#specs.clear()
    return Promise.resolve()
  }

  #guard(signal: AbortSignal): void {
    if (this.#closed) {
      throw new VectorizeError('store_unavailable', 'the Qdrant store is closed')
    }
    if (signal.aborted) {
      throw new VectorizeError('cancelled', 'operation was cancelled', { cause: signal.reason })
    }
  }

  async #count(collection: string, filter: QdrantFilter | undefined, signal: AbortSignal) {
    const result = await this.#http
      .call(`count ${collection}`, signal, (init) =>
        this.#api.countPoints(
          { collection_name: collection, exact: true, ...(filter === undefined ? {} : { filter }) },
          init,
        ),
      )
      .catch((err: unknown) => {
        throw this.#forget(collection, 'count', err)
      })
    return result.count
  }

  /** The collection's info, or undefined when it does not exist. */
  async #describe(name: string, signal: AbortSignal): Promise<CollectionInfoLike | undefined> {
    try {
      return await this.#http.call(`describe collection ${name}`, signal, (init) =>
        this.#api.getCollection({ collection_name: name }, init),
      )
    } catch (err) {
      if (status(err) === 404) return undefined
      throw err
    }
  }

  /** The spec of an existing collection (cached: size, distance and identity never change). */
  async #require(name: string, action: string, signal: AbortSignal): Promise<CollectionSpec> {
    const cached = this.#specs.get(name)
    if (cached !== undefined) return cached
    const info = await this.#describe(name, signal)
    if (info === undefined) throw this.#missing(action, name)
    const spec = specOf(name, info)
    this.#specs.set(name, spec)
    return spec
  }

  /** A 404 means the collection was dropped behind our back: forget its cached spec. */
  #forget(name: string, action: string, err: unknown): Error {
    if (status(err) !== 404) return err instanceof Error ? err : new Error(String(err))
    this.#specs.delete(name)
    return this.#missing(action, name)
  }

  #missing(action: string, name: string): VectorizeError {
    return new VectorizeError('store_rejected', `${action}: collection ${name} does not exist`, {
      details: { collection: name },
    })
  }
}
