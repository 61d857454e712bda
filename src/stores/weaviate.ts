/**
 * WeaviateStore: VectorStore on a Weaviate server (1.2x+), through the official weaviate-client
 * v3 (REST for the schema, gRPC for batches, searches, counts and deletes).
 *
 * One collection is one class (names, metadata properties and the spec in the class description:
 * weaviate-names.ts, weaviate-schema.ts). Writes use `data.insertMany` (the unary gRPC
 * BatchObjects): Weaviate replaces an object whose UUID exists, so a redelivered record overwrites
 * itself, and the reply lists every object that failed, which becomes `UpsertResult.failed`. An
 * upsert is cut into batches of `batch_size`, at most `concurrency` of them in flight per store;
 * the client's serializer, which idles 0.5 s per call, is replaced by a synchronous one
 * (weaviate-serialize.ts). Per batch the store makes that one call: the class and its properties
 * are cached, and a property is added only when a record first brings a new metadata field. The
 * streaming batcher (`batch.stream`, `data.ingest`) is not used: it is server-side batching, which
 * the client refuses below Weaviate 1.36 (`supportsServerSideBatching`; the tested server is
 * services/versions.env's). Filters: weaviate-filter.ts; errors: weaviate-errors.ts; connection:
 * weaviate-connect.ts.
 */
import { Filters, type WeaviateClient } from 'weaviate-client'
import type { Logger } from '../observability/logger.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'
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
import {
  checkDelete,
  checkFetch,
  checkName,
  checkQuery,
  checkSpec,
  compareSpecs,
} from './checks.ts'
import { KeyedMutex } from './mutex.ts'
import { compileFilter } from './weaviate-filter.ts'
import { connect, useCollection, type Handle, type WeaviateConfig } from './weaviate-connect.ts'
import { isTransientObjectError, translateWeaviateError } from './weaviate-errors.ts'
import { className, collectionOf } from './weaviate-names.ts'
import {
  classDefinition,
  hitProperties,
  objectId,
  specOf,
  toHit,
  toStored,
  wrapText,
} from './weaviate-schema.ts'
import { fetchInPieces } from './records.ts'
import { Limiter } from './limiter.ts'
import { addProperties, prepare, type Prepared } from './weaviate-writes.ts'
import { useSyncSerializer } from './weaviate-serialize.ts'

export type { WeaviateConfig }

export interface WeaviateDeps {
  readonly logger: Logger
}

/** What this store knows about a class: its spec and property names (refreshed on a miss). */
interface Known {
  readonly spec: CollectionSpec
  handle: Handle
  props: Set<string>
}

/** deleteMany removes at most QUERY_MAXIMUM_RESULTS objects per call (10,000 by default). */
const DELETE_ROUNDS = 1_000

export class WeaviateStore implements VectorStore {
  readonly kind = 'weaviate'
  readonly #client: WeaviateClient
  readonly #logger: Logger
  readonly #batchSize: number
  readonly #writes: Limiter
  readonly #known = new Map<string, Known>()
  readonly #schema = new KeyedMutex()
  #closed = false

  private constructor(client: WeaviateClient, logger: Logger, config: WeaviateConfig) {
    this.#client = client
    this.#logger = logger
    this.#batchSize = config.batch_size
    this.#writes = new Limiter(config.concurrency ?? 1)
  }

  /** Connects without a round trip: a server that is down now is retried per call, not fatal. */
  static async create(config: WeaviateConfig, deps: WeaviateDeps): Promise<WeaviateStore> {
    const client = await connect(config)
    const logger = deps.logger.child({ store: 'weaviate' })
    const serializer = await useSyncSerializer()
    if (serializer !== 'patched') {
      logger.warn(
        'this weaviate-client has an insertMany serializer vectorize does not recognise; it is left as it is (docs/upstream/weaviate-insertmany.md)',
      )
    }
    logger.debug(
      { url: config.url, grpcPort: config.grpc_port, serializer },
      'weaviate store opened',
    )
    return new WeaviateStore(client, logger, config)
  }

  async ensureCollection(spec: CollectionSpec, { signal }: Signal): Promise<void> {
    this.#guard(signal)
    checkSpec(spec)
    await this.#schema.run(spec.name, async () => {
      const existing = await this.#load(spec.name, 'ensureCollection')
      if (existing !== undefined) return compareSpecs(existing.spec, spec)
      this.#guard(signal)
      try {
        await this.#client.collections.createFromSchema(classDefinition(spec))
        this.#logger.info(
          { collection: spec.name, class: className(spec.name), ...spec },
          'collection created',
        )
      } catch (err) {
        // Another worker created it meanwhile: compare with what it created.
        if (!/already exists/i.test(String((err as Error).message))) {
          throw translateWeaviateError(err, `create ${spec.name}`)
        }
      }
      const created = await this.#load(spec.name, 'ensureCollection', true)
      if (created === undefined) {
        throw new VectorizeError('store_unavailable', `class of ${spec.name} vanished after create`)
      }
      compareSpecs(created.spec, spec)
    })
  }

  async upsert(
    collection: string,
    records: readonly VectorRecord[],
    { signal }: Signal,
  ): Promise<UpsertResult> {
    this.#guard(signal)
    checkName(collection)
    if (records.length === 0) return { failed: [] }
    const known = await this.#require(collection, 'upsert')
    const { objects, failed } = prepare(records, known.spec)
    if (objects.length === 0) return { failed }
    await this.#ensureProperties(known, objects)
    const batches: Prepared[][] = []
    for (let start = 0; start < objects.length; start += this.#batchSize) {
      batches.push(objects.slice(start, start + this.#batchSize))
    }
    // After a failure the batches not yet sent are not sent (a server that is down would time
    // out each of them), and every batch settles before the upsert does: none is still writing
    // when it has failed.
    let stop: Error | undefined
    const send = (batch: Prepared[]) =>
      this.#writes.run(async () => {
        if (stop !== undefined) throw stop
        return this.#insert(known, batch, signal).catch((err: unknown) => {
          stop ??= err instanceof Error ? err : new Error(String(err))
          throw stop
        })
      })
    const settled = await Promise.allSettled(batches.map(send))
    for (const result of settled) {
      if (result.status === 'rejected') throw result.reason
      failed.push(...result.value)
    }
    if (failed.length > 0) {
      this.#logger.warn(
        { collection, failed: failed.length, first: failed[0]?.reason },
        'objects rejected',
      )
    }
    return { failed: failed.sort((a, b) => a.index - b.index) }
  }

  /** One insertMany; returns the objects Weaviate rejected, throws if any error is transient. */
  async #insert(known: Known, batch: readonly Prepared[], signal: AbortSignal) {
    this.#guard(signal)
    const collection = known.spec.name
    const reply = await known.handle.data
      .insertMany(batch.map((o) => o.object))
      .catch((err: unknown) => Promise.reject(this.#fail(collection, `upsert ${collection}`, err)))
    const failed: UpsertFailure[] = []
    for (const [i, error] of Object.entries(reply.errors)) {
      if (isTransientObjectError(error.message)) {
        throw new VectorizeError('store_unavailable', `upsert ${collection}: ${error.message}`)
      }
      const o = batch[Number(i)]
      if (o !== undefined) failed.push({ index: o.index, id: o.id, reason: error.message })
    }
    return failed
  }

  /** Adds the metadata properties these objects need and the class lacks. */
  async #ensureProperties(known: Known, objects: readonly Prepared[]): Promise<void> {
    const missing = () => objects.flatMap((o) => o.fields).filter((f) => !known.props.has(f.name))
    if (missing().length === 0) return
    await this.#schema.run(known.spec.name, async () => {
      const todo = missing()
      if (todo.length === 0) return
      await addProperties(known.handle, todo, () => this.#refreshProps(known)).catch(
        (err: unknown) =>
          Promise.reject(this.#fail(known.spec.name, `add properties to ${known.spec.name}`, err)),
      )
      for (const f of todo) known.props.add(f.name)
    })
  }

  async #refreshProps(known: Known): Promise<void> {
    const fresh = await this.#load(known.spec.name, 'refresh', true)
    if (fresh !== undefined) known.props = fresh.props
  }

  async deleteDocument(
    collection: string,
    documentId: string,
    fromChunk: number,
    { signal }: Signal,
  ): Promise<number> {
    this.#guard(signal)
    checkDelete(collection, fromChunk)
    const { handle } = await this.#require(collection, 'deleteDocument')
    const f = handle.filter
    const where =
      fromChunk === 0
        ? f.byProperty('documentKey').equal(wrapText(documentId))
        : Filters.and(
            f.byProperty('documentKey').equal(wrapText(documentId)),
            f.byProperty('chunkIndex').greaterOrEqual(fromChunk),
          )
    let deleted = 0
    for (let round = 0; round < DELETE_ROUNDS; round++) {
      const res = await handle.data
        .deleteMany(where)
        .catch((err: unknown) =>
          Promise.reject(this.#fail(collection, `deleteDocument ${collection}`, err)),
        )
      if (res.failed > 0) {
        throw new VectorizeError(
          'store_unavailable',
          `deleteDocument ${collection}: ${res.failed} of ${res.matches} objects could not be deleted`,
        )
      }
      deleted += res.successful
      // A full page may hide more behind it (the limit is a server setting, 10,000 by default).
      if (res.successful < 100 || res.successful !== res.matches) break
    }
    return deleted
  }

  async search(collection: string, query: SearchQuery, { signal }: Signal): Promise<SearchHit[]> {
    this.#guard(signal)
    checkName(collection)
    let known = await this.#require(collection, 'search')
    checkQuery(known.spec, query)
    let misses = 0
    const compile = (k: Known) =>
      compileFilter(query.filter, (p) => k.props.has(p) || (misses++, false), k.handle.filter)
    let compiled = compile(known)
    if (misses > 0) {
      // Another worker may have added the property since this store last read the class.
      known = (await this.#load(collection, 'search', true)) ?? known
      compiled = compile(known)
    }
    if (compiled.kind === 'none') return []
    const result = await known.handle.query
      .nearVector(Array.from(query.vector), {
        limit: query.k,
        filters: compiled.kind === 'some' ? compiled.filter : undefined,
        returnMetadata: ['distance'],
        returnProperties: [...hitProperties],
      })
      .catch((err: unknown) => Promise.reject(this.#fail(collection, `search ${collection}`, err)))
    const hits = result.objects.map((o) => toHit(o, known.spec.distance))
    return hits.sort((a, b) => b.score - a.score)
  }

  /**
   * One filtered query per piece (`_id` containsAny the pieces' UUIDs, limit the piece size): a
   * lookup in the id index, never a scan. A class that is gone gives [].
   */
  async fetch(
    collection: string,
    ids: readonly string[],
    { signal }: Signal,
  ): Promise<StoredRecord[]> {
    this.#guard(signal)
    checkFetch(collection, ids)
    const known = await this.#load(collection, 'fetch')
    if (known === undefined) return []
    return fetchInPieces(ids, signal, async (piece) => {
      const uuids = [...new Set(piece.map(objectId))]
      try {
        const result = await known.handle.query.fetchObjects({
          filters: known.handle.filter.byId().containsAny(uuids),
          limit: uuids.length,
          returnProperties: [...hitProperties],
        })
        return result.objects.map(toStored)
      } catch (err) {
        const translated = this.#fail(collection, `fetch ${collection}`, err)
        if (translated.retriable || (await this.#load(collection, 'fetch', true)) !== undefined) {
          throw translated
        }
        this.#known.delete(collection)
        return undefined
      }
    })
  }

  async count(collection: string, { signal }: Signal): Promise<number> {
    this.#guard(signal)
    checkName(collection)
    const { handle } = await this.#require(collection, 'count')
    const res = await handle.aggregate
      .overAll()
      .catch((err: unknown) => Promise.reject(this.#fail(collection, `count ${collection}`, err)))
    return res.totalCount
  }

  async collections({ signal }: Signal): Promise<CollectionInfo[]> {
    this.#guard(signal)
    const all = await this.#client.collections
      .listAll()
      .catch((err: unknown) => Promise.reject(translateWeaviateError(err, 'list collections')))
    const infos: CollectionInfo[] = []
    for (const config of all) {
      const name = collectionOf(config.name)
      const spec = name === undefined ? undefined : specOf(name, config.description)
      if (spec === undefined) continue // a class vectorize did not create
      infos.push({ ...spec, count: await this.count(spec.name, { signal }) })
    }
    return infos
  }

  async health({ signal }: Signal): Promise<void> {
    this.#guard(signal)
    try {
      await this.#client.getMeta()
    } catch (err) {
      throw translateWeaviateError(err, 'health')
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#known.clear()
    await this.#client.close().catch((err: unknown) => {
      this.#logger.debug({ err: (err as Error).message }, 'closing the weaviate client failed')
    })
  }

  /**
   * Translates an error of a call on a collection. After an infrastructure error the handle is
   * replaced (see useCollection); the class stays known: a server that restarts can answer 404 for
   * a class until it has loaded its schema, which must not turn into "collection does not exist".
   */
  #fail(collection: string, action: string, err: unknown): VectorizeError {
    const translated = translateWeaviateError(err, action)
    const known = this.#known.get(collection)
    if (translated.retriable && known !== undefined) {
      known.handle = useCollection(this.#client, className(collection))
    }
    return translated
  }

  #guard(signal: AbortSignal): void {
    if (this.#closed) {
      throw new VectorizeError('store_unavailable', 'the Weaviate store is closed')
    }
    if (signal.aborted) {
      throw new VectorizeError('cancelled', 'operation was cancelled', { cause: signal.reason })
    }
  }

  async #require(name: string, action: string): Promise<Known> {
    const known = await this.#load(name, action)
    if (known !== undefined) return known
    throw new VectorizeError('store_rejected', `${action}: collection ${name} does not exist`, {
      details: { collection: name, class: className(name) },
    })
  }

  /** The class of a collection (cached unless `fresh`), or undefined when there is none. */
  async #load(name: string, action: string, fresh = false): Promise<Known | undefined> {
    const cached = this.#known.get(name)
    if (cached !== undefined && !fresh) return cached
    const cls = className(name)
    let config
    try {
      config = await this.#client.collections.export(cls)
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) return undefined
      throw translateWeaviateError(err, `${action} ${name}`)
    }
    const spec = specOf(name, config.description)
    if (spec === undefined) {
      throw new VectorizeError('store_rejected', `class ${cls} was not created by vectorize`, {
        details: { collection: name, class: cls },
      })
    }
    const known: Known = {
      spec,
      handle: useCollection(this.#client, cls),
      props: new Set(config.properties.map((p) => p.name)),
    }
    this.#known.set(name, known)
    return known
  }
}
