/**
 * Group commit for any VectorStore: while one upsert to a collection is in flight, upserts from
 * other tasks queue up and go out together as the next write. Stores pay per request (LanceDB
 * writes a new version per merge, ~25 ms; Weaviate and Qdrant pay a round trip), so a stream of
 * one-text tasks would otherwise cost one write each. An idle collection writes on the next turn
 * of the event loop, so the tasks one inference batch finished (they resume in the same turn)
 * share that write. With `spacing`, a collection's next write also waits until `spacing` times the
 * last write's duration has passed since it ended — writes then take at most 1 / (1 + spacing) of
 * the time, and a store whose every write costs the same whatever its size (LanceDB: a version and
 * ~8 ms of CPU per merge; issue 11) is written in groups that grow with the rate — unless
 * `maxRecords` are waiting, or `allWaiting` callers (every task in flight waits on the store: nothing
 * more can come, and the inference thread idles until the write ends). The pause is at most
 * `maxPauseMs`: a write that took long because it was large says nothing of the fixed cost, and a
 * one-text task must not wait seconds behind a bulk write. Per-object failures are
 * mapped back to the task that sent the object.
 */
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

interface Waiting {
  readonly records: readonly VectorRecord[]
  resolve(result: UpsertResult): void
  reject(err: unknown): void
}

interface Lane {
  queue: Waiting[]
  /** Records in `queue`. */
  queued: number
  writing: Promise<void> | undefined
  /** Callers whose records are in the write now in flight (they wait on the store too). */
  writingCallers: number
  /** When the last write ended and how long it took (performance.now() ms). */
  lastEnd: number
  lastMs: number
  /** Ends the pause early (`maxRecords` are waiting). */
  wake: (() => void) | undefined
}

export interface GroupCommitOptions {
  /** Most records in one write; more waiting callers are split over several writes. */
  readonly maxRecords: number
  /** Pause between two writes of a collection, in multiples of the last write's duration; 0 = none. */
  readonly spacing?: number
  /** Longest pause the spacing makes, ms (default 250). */
  readonly maxPauseMs?: number
  /**
   * Callers that can wait at once (the worker's tasks in flight): when that many wait, queued or in
   * a write in flight, over all collections, the pause ends — no caller is left to add records to
   * the group.
   */
  readonly allWaiting?: number
}

export class GroupCommitStore implements VectorStore {
  readonly #inner: VectorStore
  readonly #options: GroupCommitOptions
  #allWaiting: number | undefined
  readonly #lanes = new Map<string, Lane>()

  constructor(inner: VectorStore, options: GroupCommitOptions) {
    this.#inner = inner
    this.#options = options
    this.#allWaiting = options.allWaiting
  }

  /** The worker's concurrency changed (SIGHUP): that many callers waiting now end the pause. */
  setAllWaiting(callers: number): void {
    this.#allWaiting = callers
    if (this.#everyoneWaits()) for (const lane of this.#lanes.values()) lane.wake?.()
  }

  get kind(): string {
    return this.#inner.kind
  }

  upsert(
    collection: string,
    records: readonly VectorRecord[],
    opts: Signal,
  ): Promise<UpsertResult> {
    opts.signal.throwIfAborted()
    if (records.length === 0) return Promise.resolve({ failed: [] })
    const lane = this.#lane(collection)
    return new Promise<UpsertResult>((resolve, reject) => {
      lane.queue.push({ records, resolve, reject })
      lane.queued += records.length
      if (lane.queued >= this.#options.maxRecords) lane.wake?.()
      else if (this.#everyoneWaits()) for (const l of this.#lanes.values()) l.wake?.()
      lane.writing ??= this.#drain(collection, lane)
    })
  }

  /** Deletes wait for queued writes of the collection, so a replace (write, then trim) keeps its order. */
  async deleteDocument(
    collection: string,
    documentId: string,
    fromChunk: number,
    opts: Signal,
  ): Promise<number> {
    await this.#lanes.get(collection)?.writing
    return this.#inner.deleteDocument(collection, documentId, fromChunk, opts)
  }

  ensureCollection(spec: CollectionSpec, opts: Signal): Promise<void> {
    return this.#inner.ensureCollection(spec, opts)
  }

  search(collection: string, query: SearchQuery, opts: Signal): Promise<SearchHit[]> {
    return this.#inner.search(collection, query, opts)
  }

  /** Fetches wait for queued writes of the collection, so a caller reads what it has written. */
  async fetch(collection: string, ids: readonly string[], opts: Signal): Promise<StoredRecord[]> {
    await this.#lanes.get(collection)?.writing
    return this.#inner.fetch(collection, ids, opts)
  }

  count(collection: string, opts: Signal): Promise<number> {
    return this.#inner.count(collection, opts)
  }

  collections(opts: Signal): Promise<CollectionInfo[]> {
    return this.#inner.collections(opts)
  }

  health(opts: Signal): Promise<void> {
    return this.#inner.health(opts)
  }

  async close(): Promise<void> {
    await Promise.allSettled(
      [...this.#lanes.values()].flatMap((lane) => (lane.writing ? [lane.writing] : [])),
    )
    await this.#inner.close()
  }

  #lane(collection: string): Lane {
    let lane = this.#lanes.get(collection)
    if (!lane) {
      lane = {
        queue: [],
        queued: 0,
        writing: undefined,
        writingCallers: 0,
        lastEnd: 0,
        lastMs: 0,
        wake: undefined,
      }
      this.#lanes.set(collection, lane)
    }
    return lane
  }

  async #drain(collection: string, lane: Lane): Promise<void> {
    do {
      await this.#pause(lane)
      const group = this.#takeGroup(lane)
      const started = performance.now()
      lane.writingCallers = group.length
      await this.#writeGroup(collection, group)
      lane.writingCallers = 0
      lane.lastEnd = performance.now()
      lane.lastMs = lane.lastEnd - started
    } while (lane.queue.length > 0)
    lane.writing = undefined
  }

  /** One turn of the event loop, then the rest of the spacing unless `maxRecords` are waiting. */
  async #pause(lane: Lane): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve))
    const { spacing = 0, maxPauseMs = 250 } = this.#options
    const wait = lane.lastEnd + Math.min(lane.lastMs * spacing, maxPauseMs) - performance.now()
    if (wait <= 0 || lane.queued >= this.#options.maxRecords || this.#everyoneWaits()) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => ((lane.wake = undefined), resolve()), wait)
      lane.wake = () => (clearTimeout(timer), (lane.wake = undefined), resolve())
    })
  }

  #everyoneWaits(): boolean {
    const all = this.#allWaiting
    if (all === undefined) return false
    let waiting = 0
    for (const lane of this.#lanes.values()) waiting += lane.queue.length + lane.writingCallers
    return waiting >= all
  }

  #takeGroup(lane: Lane): Waiting[] {
    let size = 0
    let n = 0
    while (
      n < lane.queue.length &&
      (n === 0 || size + lane.queue[n]!.records.length <= this.#options.maxRecords)
    ) {
      size += lane.queue[n]!.records.length
      n++
    }
    lane.queued -= size
    return lane.queue.splice(0, n)
  }

  /** One write for the group; failures come back by index into the concatenation. */
  async #writeGroup(collection: string, group: readonly Waiting[]): Promise<void> {
    const records = group.flatMap((w) => w.records)
    try {
      // Each caller's own signal governs its wait; the shared write must not die with one of them.
      const result = await this.#inner.upsert(collection, records, {
        signal: AbortSignal.timeout(600_000),
      })
      let offset = 0
      for (const waiting of group) {
        const end = offset + waiting.records.length
        const failed = result.failed
          .filter((f) => f.index >= offset && f.index < end)
          .map((f) => ({ ...f, index: f.index - offset }))
        waiting.resolve({ failed })
        offset = end
      }
    } catch (err) {
      for (const waiting of group) waiting.reject(err)
    }
  }
}
