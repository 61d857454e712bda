/**
 * Crash-loop guard. A message that kills the worker process (a native crash in inference, an OOM
 * kill) is never committed, so the next owner of its partition gets it again and dies too: the
 * whole group crash-loops on it. The guard counts those deaths in the group's own commit metadata,
 * which lives with the offsets and needs no other service:
 *
 * - Before a worker starts on a partition (its first message after assignment), the guard commits
 *   the partition's current offset again with a marker `{at, starts}`: "a worker has started on
 *   offset `at` this many times without getting past it". A progress commit carries a fresh marker
 *   `{at, starts: 1}` while messages from `at` on are running, and none when nothing is.
 * - A marker found with `starts >= 1` at the offset the worker starts from means the previous owner
 *   died (or lost the partition) there; from the second such death the partition turns *careful* for the next `window`
 *   messages: while any owned partition is careful, the source hands out one message at a time,
 *   marking each before it runs and waiting for its commit, so a death is charged to exactly the
 *   message in flight.
 * - Each message handed out carries `crashes`: how many workers died with it in flight. The worker
 *   dead-letters it with `crash_loop` once that reaches `processing.max_crashes`.
 *
 * Outside careful mode, a death is charged to every partition's starting offset, so an innocent
 * message can be charged one death it did not cause; careful mode then clears it.
 */
import type { Logger } from '../observability/logger.ts'

/** What commit metadata says about an offset. */
export interface Marker {
  readonly at: number
  readonly starts: number
  /** The source instance that wrote it: a live process does not count its own starts as deaths. */
  readonly by?: string
}

const tag = 'vectorize'
/**
 * Deaths at one offset before its partition turns careful. One is tolerated: a lost session after
 * a broker restart, or one unrelated kill, looks the same and should not slow the partition down;
 * a poison message kills the next owner too, at once, and is caught from the second death on.
 */
const carefulAfter = 2

export function formatMarker(marker: Marker): string {
  return JSON.stringify({ [tag]: 1, at: marker.at, starts: marker.starts, by: marker.by })
}

/** The marker in commit metadata, if it is one of ours (anything else is ignored). */
export function parseMarker(metadata: string | null | undefined): Marker | undefined {
  if (!metadata) return undefined
  try {
    const value = JSON.parse(metadata) as Record<string, unknown>
    const { at, starts, by } = value
    if (value[tag] !== 1 || !Number.isSafeInteger(at) || !Number.isSafeInteger(starts)) {
      return undefined
    }
    return { at: at as number, starts: starts as number, ...(typeof by === 'string' && { by }) }
  } catch {
    return undefined
  }
}

/** Reads and writes markers: the source's committed offsets with their metadata. */
export interface MarkerStore {
  /** The marker committed for a partition, if any. */
  read(partition: number): Promise<Marker | undefined>
  /** Commits `marker.at` as the partition's offset with the marker as metadata, durably. */
  write(partition: number, marker: Marker, signal?: AbortSignal): Promise<void>
}

interface Guarded {
  /** The marker last read or written; undefined until the partition's first message. */
  marker?: Marker
  /** The marker to write next: a retry writes the same one, so a write that failed late (it
   * landed, its confirmation did not) is not counted twice. */
  writing?: Marker
  /** Messages below this offset are handed out one at a time... */
  carefulUntil: number
  /** ...until this time (ms since epoch) at the latest: an idle partition must not keep it on. */
  carefulUntilMs: number
  checked: boolean
}

export interface GuardOptions {
  /** How many messages a careful partition hands out one at a time. */
  readonly window: number
  /** How long careful mode lasts at most. */
  readonly windowMs: number
  readonly logger: Logger
  readonly now?: () => number
  /** This source instance's id in its markers (a partition lost and won back is not a death). */
  readonly owner: string
  /** Off: no markers are read or written and nothing is held (`processing.max_crashes: 0`). */
  readonly enabled?: boolean
}

export class CrashGuard {
  readonly #store: MarkerStore
  readonly #opts: GuardOptions
  readonly #now: () => number
  readonly #partitions = new Map<number, Guarded>()

  constructor(store: MarkerStore, opts: GuardOptions) {
    this.#store = store
    this.#opts = opts
    this.#now = opts.now ?? Date.now
  }

  assigned(partition: number): void {
    this.#partitions.set(partition, { carefulUntil: -1, carefulUntilMs: 0, checked: false })
  }

  revoked(partition: number): void {
    this.#partitions.delete(partition)
  }

  /** True while some owned partition is careful: messages then go one at a time. */
  get serial(): boolean {
    const now = this.#now()
    for (const g of this.#partitions.values()) {
      if (g.carefulUntil > (g.marker?.at ?? -1) && now < g.carefulUntilMs) return true
    }
    return false
  }

  /** Whether a message must be admitted (marked) before it is handed out. */
  needsAdmission(partition: number): boolean {
    const g = this.#partitions.get(partition)
    return this.#opts.enabled !== false && g !== undefined && (!g.checked || this.serial)
  }

  /** True until the partition's first message after assignment has been admitted. */
  first(partition: number): boolean {
    return this.#partitions.get(partition)?.checked === false
  }

  /**
   * How many workers died with `offset` in flight (reading the committed marker on a partition's
   * first message). A partition with deaths turns careful at once, so that the caller waits for
   * everything else to finish before it hands this message out. Throws what the store throws.
   */
  async inspect(partition: number, offset: number): Promise<number> {
    const g = this.#partitions.get(partition)
    if (!g) return 0
    if (g.writing?.at !== offset) {
      if (!g.checked) g.marker = await this.#store.read(partition)
      const marker = g.marker?.at === offset ? g.marker : undefined
      // Starts of this very process are not deaths: it lost the partition and won it back.
      const own = marker?.by === this.#opts.owner ? 1 : 0
      const before = marker ? Math.max(0, marker.starts - own) : 0
      g.writing = { at: offset, starts: before + 1, by: this.#opts.owner }
    }
    const crashes = g.writing.starts - 1
    if (crashes >= carefulAfter && !this.#careful(g, offset)) {
      g.carefulUntil = offset + this.#opts.window
      g.carefulUntilMs = this.#now() + this.#opts.windowMs
      this.#opts.logger.warn(
        { partition, offset, crashes, careful_until: g.carefulUntil },
        'a worker died with this offset in flight: handing out one message at a time for a while',
      )
    }
    return crashes
  }

  /** Commits the marker `inspect` prepared: the message may run once this resolves. */
  async mark(partition: number): Promise<void> {
    const g = this.#partitions.get(partition)
    const marker = g?.writing
    if (!g || !marker) return
    await this.#store.write(partition, marker)
    g.writing = undefined
    g.marker = marker
    g.checked = true
  }

  #careful(g: Guarded, offset: number): boolean {
    return offset < g.carefulUntil && this.#now() < g.carefulUntilMs
  }

  /**
   * The marker to leave when this worker hands a partition back cleanly (revoked, or closing)
   * without getting past its marker: its own start did not die, so it is taken back.
   */
  handBack(partition: number): Marker | undefined {
    const marker = this.#partitions.get(partition)?.marker
    if (!marker || marker.starts === 0) return undefined
    return { at: marker.at, starts: marker.starts - 1, by: this.#opts.owner }
  }

  /**
   * The marker a progress commit to `offset` carries: while messages from `offset` on are already
   * handed out, a death now is charged once to `offset`, the oldest of them; else none.
   */
  progressMarker(offset: number, running: boolean): Marker | undefined {
    if (this.#opts.enabled === false || !running) return undefined
    return { at: offset, starts: 1, by: this.#opts.owner }
  }

  /** The worker committed `offset` (the next to read) with this marker, or none. */
  progressed(partition: number, offset: number, marker: Marker | undefined): void {
    const g = this.#partitions.get(partition)
    if (g && offset > (g.marker?.at ?? -1)) g.marker = marker ?? { at: offset, starts: 0 }
  }
}
