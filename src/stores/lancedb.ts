/**
 * LanceDbStore: the embedded VectorStore, one Lance table per collection under `path`.
 *
 * Writes go through one promise chain per table (mutex.ts) and every mergeInsert is
 * preceded by `checkoutLatest()`: a Table handle matches ids against the manifest it last saw, so
 * without it a second handle on the same table (another store instance, another process taking
 * turns) inserts duplicates of ids that already exist (lancedb#3377, reproduced on 0.31).
 * Layout, metadata terms and the spec in schema metadata: lancedb-schema.ts. Filters:
 * lancedb-filter.ts. Error translation: lancedb-errors.ts.
 */
import { access, constants, mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, makeArrowTable, type Connection, type Table } from '@lancedb/lancedb'
import { waitLock, type FileLock } from '../files/lock.ts'
import type { Logger } from '../observability/logger.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'
import type {
  CollectionInfo,
  CollectionSpec,
  SearchHit,
  SearchQuery,
  StoredRecord,
  UpsertResult,
  VectorRecord,
  VectorStore,
} from './store.ts'
import { translateLanceError } from './lancedb-errors.ts'
import { sqlString, toWhere } from './lancedb-filter.ts'
import { KeyedMutex } from './mutex.ts'
import {
  hitColumns,
  lanceDistance,
  specOf,
  toHit,
  toRow,
  toStored,
  toSchema,
  type HitRow,
  type StoredRow,
} from './lancedb-schema.ts'
import { fetchInPieces, splitRecords } from './records.ts'
import {
  checkDelete,
  checkFetch,
  checkName,
  checkQuery,
  checkSpec,
  compareSpecs,
} from './checks.ts'

export interface LanceDbConfig {
  /** Directory that holds the tables; created if missing. */
  readonly path: string
}

export interface LanceDbDeps {
  readonly logger: Logger
}

interface Opened {
  readonly table: Table
  readonly spec: CollectionSpec
  /** Writes since the last compaction. */
  writes: number
}

/**
 * Every write adds a version and a fragment; past a few hundred, each merge slows down (29 ms at
 * 200 versions, 156 ms at 1,000 on this machine; lancedb#3086). Compacting every 100 writes kept
 * it flat at ~25 ms. Versions younger than the grace are kept for readers in other processes.
 */
const COMPACT_EVERY_WRITES = 100
/** How long a write waits for another process's write to the same table. */
const LOCK_TIMEOUT_MS = 30_000
const VERSION_GRACE_MS = 30_000

export class LanceDbStore implements VectorStore {
  readonly kind = 'lancedb'
  readonly #path: string
  readonly #db: Connection
  readonly #logger: Logger
  readonly #opened = new Map<string, Opened>()
  readonly #writes = new KeyedMutex()
  #closed = false

  private constructor(path: string, db: Connection, logger: Logger) {
    this.#path = path
    this.#db = db
    this.#logger = logger
  }

  static async create(config: LanceDbConfig, deps: LanceDbDeps): Promise<LanceDbStore> {
    try {
      await mkdir(join(config.path, '.locks'), { recursive: true })
      // Strong read consistency: a search sees writes made through any other handle or process
      // at the cost of one manifest check per read (local disk: cheap).
      const db = await connect(config.path, { readConsistencyInterval: 0 })
      const logger = deps.logger.child({ store: 'lancedb' })
      logger.debug({ path: config.path }, 'lancedb store opened')
      return new LanceDbStore(config.path, db, logger)
    } catch (err) {
      throw unavailable(`cannot open LanceDB at ${config.path}`, err)
    }
  }

  async ensureCollection(spec: CollectionSpec, { signal }: Signal): Promise<void> {
    this.#guard(signal)
    checkSpec(spec)
    await this.#writes.run(spec.name, async () => {
      const existing = await this.#open(spec.name, 'ensureCollection')
      if (existing !== undefined) return compareSpecs(existing.spec, spec)
      this.#guard(signal)
      // existOk: a table another process created meanwhile is opened and compared, not clobbered.
      const table = await this.#db
        .createEmptyTable(spec.name, toSchema(spec), { mode: 'create', existOk: true })
        .catch((err: unknown) => Promise.reject(translateLanceError(err, `create ${spec.name}`)))
      const created = await this.#remember(spec.name, table)
      compareSpecs(created.spec, spec)
      this.#logger.info({ collection: spec.name, ...spec }, 'collection created')
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
    const { table, spec } = await this.#require(collection, 'upsert')
    const { rows, failed } = prepare(records, spec)
    if (rows.length === 0) return { failed }
    await this.#write(collection, signal, 'upsert', async () => {
      await table.checkoutLatest() // lancedb#3377
      const data = makeArrowTable(rows as unknown as Record<string, unknown>[], {
        schema: toSchema(spec),
      })
      await table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(data)
    })
    await this.#compactIfDue(collection)
    return { failed }
  }

  async deleteDocument(
    collection: string,
    documentId: string,
    fromChunk: number,
    { signal }: Signal,
  ): Promise<number> {
    this.#guard(signal)
    checkDelete(collection, fromChunk)
    const { table } = await this.#require(collection, 'deleteDocument')
    const where = `document_id = ${sqlString(documentId)} AND chunk_index >= ${fromChunk}`
    const deleted = await this.#write(collection, signal, 'deleteDocument', async () => {
      await table.checkoutLatest()
      const result = await table.delete(where)
      return result.numDeletedRows
    })
    await this.#compactIfDue(collection)
    return deleted
  }

  /** Compaction runs under the table's write lock; a failure is logged, never fails the write. */
  async #compactIfDue(name: string): Promise<void> {
    const opened = this.#opened.get(name)
    if (!opened || ++opened.writes < COMPACT_EVERY_WRITES) return
    opened.writes = 0
    await this.#write(name, AbortSignal.timeout(LOCK_TIMEOUT_MS), 'compact', async () => {
      try {
        const started = performance.now()
        await opened.table.optimize({ cleanupOlderThan: new Date(Date.now() - VERSION_GRACE_MS) })
        this.#logger.debug(
          { collection: name, ms: Math.round(performance.now() - started) },
          'compacted',
        )
      } catch (err) {
        this.#logger.warn({ collection: name, err: (err as Error).message }, 'compaction failed')
      }
    })
  }

  async search(collection: string, query: SearchQuery, { signal }: Signal): Promise<SearchHit[]> {
    this.#guard(signal)
    checkName(collection)
    const { table, spec } = await this.#require(collection, 'search')
    checkQuery(spec, query)
    const where = toWhere(query.filter)
    // A vector search with `where` prefilters by default (postfilter() would be the opt-out): the
    // filter runs before the top-k, so a selective filter still returns k hits.
    let q = table
      .vectorSearch(query.vector)
      .distanceType(lanceDistance[spec.distance])
      .select([...hitColumns, '_distance'])
      .limit(query.k)
    if (where !== undefined) q = q.where(where)
    const rows = (await q.toArray().catch((err: unknown) => {
      throw translateLanceError(err, `search ${collection}`)
    })) as HitRow[]
    const hits = rows.map((row) => toHit(row, spec.distance))
    return hits.sort((a, b) => b.score - a.score)
  }

  async fetch(
    collection: string,
    ids: readonly string[],
    { signal }: Signal,
  ): Promise<StoredRecord[]> {
    this.#guard(signal)
    checkFetch(collection, ids)
    const opened = await this.#open(collection, 'fetch')
    if (opened === undefined) return []
    return fetchInPieces(ids, signal, async (piece) => {
      const rows = (await opened.table
        .query()
        .where(`id IN (${piece.map(sqlString).join(', ')})`)
        .select([...hitColumns])
        .toArray()
        .catch((err: unknown) => {
          throw translateLanceError(err, `fetch ${collection}`)
        })) as StoredRow[]
      return rows.map(toStored)
    })
  }

  async count(collection: string, { signal }: Signal): Promise<number> {
    this.#guard(signal)
    checkName(collection)
    const { table } = await this.#require(collection, 'count')
    return table.countRows().catch((err: unknown) => {
      throw translateLanceError(err, `count ${collection}`)
    })
  }

  async collections({ signal }: Signal): Promise<CollectionInfo[]> {
    this.#guard(signal)
    const names = await this.#db.tableNames().catch((err: unknown) => {
      throw translateLanceError(err, 'list collections')
    })
    const infos: CollectionInfo[] = []
    for (const name of names) {
      let opened: Opened | undefined
      try {
        opened = await this.#open(name, 'collections')
      } catch (err) {
        if (!(err instanceof VectorizeError) || err.retriable) throw err
        this.#logger.warn({ table: name, err }, 'skipping a table vectorize cannot read')
      }
      if (opened === undefined) continue
      infos.push({ ...opened.spec, count: await this.count(name, { signal }) })
    }
    return infos
  }

  async health({ signal }: Signal): Promise<void> {
    this.#guard(signal)
    try {
      if (!(await stat(this.#path)).isDirectory()) throw new Error('not a directory')
      await access(this.#path, constants.R_OK | constants.W_OK)
      await this.#db.tableNames({ limit: 1 })
    } catch (err) {
      throw unavailable(`LanceDB directory ${this.#path} is not usable`, err)
    }
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    this.#closed = true
    for (const { table } of this.#opened.values()) table.close()
    this.#opened.clear()
    this.#db.close()
    return Promise.resolve()
  }

  #guard(signal: AbortSignal): void {
    if (this.#closed) throw unavailable('the LanceDB store is closed')
    if (signal.aborted) {
      throw new VectorizeError('cancelled', 'operation was cancelled', { cause: signal.reason })
    }
  }

  /** Runs a write under the table's mutex, translating what LanceDB throws. */
  async #write<T>(name: string, signal: AbortSignal, action: string, fn: () => Promise<T>) {
    return this.#writes.run(name, async () => {
      this.#guard(signal) // the wait for the mutex may have outlived the signal or the store
      const lock = await this.#lockTable(name, signal)
      try {
        return await fn()
      } catch (err) {
        throw translateLanceError(err, `${action} ${name}`)
      } finally {
        await lock.release()
      }
    })
  }

  /**
   * Writers in other processes (several workers on one machine) take turns through a lock file per
   * table: Lance resolves concurrent merges of the same new id by inserting it twice
   * (lancedb#2463), and checkoutLatest() only helps when writes do not overlap.
   */
  async #lockTable(name: string, signal: AbortSignal): Promise<FileLock> {
    try {
      return await waitLock(join(this.#path, '.locks', `${name}.lock`), {
        signal,
        timeoutMs: LOCK_TIMEOUT_MS,
      })
    } catch (err) {
      if (signal.aborted)
        throw new VectorizeError('cancelled', 'operation was cancelled', { cause: err })
      throw unavailable(`cannot lock collection ${name} for writing`, err)
    }
  }

  async #require(name: string, action: string): Promise<Opened> {
    const opened = await this.#open(name, action)
    if (opened !== undefined) return opened
    throw new VectorizeError('store_rejected', `${action}: collection ${name} does not exist`, {
      details: { collection: name },
    })
  }

  /** The table and its spec, or undefined when no table has that name. */
  async #open(name: string, action: string): Promise<Opened | undefined> {
    const cached = this.#opened.get(name)
    if (cached !== undefined) return cached
    try {
      return await this.#remember(name, await this.#db.openTable(name))
    } catch (err) {
      if (err instanceof Error && / was not found/.test(err.message)) return undefined
      throw translateLanceError(err, `${action} ${name}`)
    }
  }

  async #remember(name: string, table: Table): Promise<Opened> {
    const spec = specOf(name, await table.schema())
    if (spec === undefined) {
      table.close()
      throw new VectorizeError('store_rejected', `table ${name} was not created by vectorize`)
    }
    const opened = { table, spec, writes: 0 }
    this.#opened.set(name, opened)
    return opened
  }
}

/** Writable rows (mergeInsert would insert two rows of one id: one wins) and per-record failures. */
function prepare(records: readonly VectorRecord[], spec: CollectionSpec) {
  const { writes: rows, failed } = splitRecords(records, spec, (r) => ({
    key: r.id,
    value: toRow(r),
  }))
  return { rows, failed }
}

function unavailable(message: string, cause?: unknown): VectorizeError {
  const detail = cause instanceof Error ? `: ${cause.message}` : ''
  return new VectorizeError('store_unavailable', `${message}${detail}`, { cause })
}
