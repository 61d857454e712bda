/**
 * The dead-letter tools (`vectorize dlq`, the dashboard): browse the dead letters of either mode,
 * replay them to the tasks topic or queue, or discard them. A dead letter is never rewritten: what
 * was done with it is a separate "handled" mark keyed by its place in the log (`partition:offset`),
 * so the log stays the record of what failed and the marks say what the operators did about it.
 *
 * Two layers: `DeadLetterLog` is what differs between the modes (how dead letters and marks are
 * read and written, how a task is put back); `DeadLetterStore` (letters.ts) is everything else —
 * paging, filters, selections, replay counting, the action log — written once over either log.
 */
import type { Signal } from '../worker/types.ts'

export const letterStates = ['pending', 'replayed', 'discarded'] as const
export type LetterState = (typeof letterStates)[number]
export type HandledState = Exclude<LetterState, 'pending'>

/** The header a replayed task carries: how many times its task was replayed, this one included. */
export const replaysHeader = 'x-replays'

/** A dead letter as its log holds it. */
export interface RawLetter {
  /** `partition:offset` in the dead-letter log. */
  readonly id: string
  readonly partition: number
  readonly offset: number
  /** When it was dead-lettered (ISO time). */
  readonly at: string
  readonly taskId: string
  readonly error: { readonly class: string; readonly code: string; readonly message: string }
  readonly origin: { readonly topic: string; readonly partition: number; readonly offset: number }
  readonly attempts: number
  readonly workerId: string
  /** Every header as the log holds it (text; binary values as `base64:…`). */
  readonly headers: Readonly<Record<string, string>>
  /** The original message's key, where it had one. */
  readonly key?: Uint8Array
  /** The original message bytes (cut short when `truncated`). */
  readonly value: Uint8Array
  /** The payload was cut to fit the dead-letter topic: it cannot be replayed. */
  readonly truncated?: { readonly bytes: number; readonly sha256: string }
  /** Replays the worker carried in the letter's headers (x-replays), where it did. */
  readonly replays?: number
}

/** What was done with a dead letter: one mark per letter, final. */
export interface HandledMark {
  /** The letter's `partition:offset`. */
  readonly id: string
  readonly state: HandledState
  readonly at: string
  /** Who did it: `cli user@host`, `dashboard 127.0.0.1`. */
  readonly by: string
  readonly taskId: string
  readonly code: string
  /** For a replay: which replay of this task it was (1 = the first). */
  readonly replay?: number
}

/** A dead letter with what was done about it. */
export interface Letter extends RawLetter {
  readonly state: LetterState
  readonly handled?: HandledMark
  /** How many times its task had been replayed before this dead letter was written. */
  readonly replays: number
}

export interface PartitionRange {
  readonly partition: number
  readonly low: number
  readonly high: number
}

/** The mode-specific part: where dead letters and marks live, and how a task goes back. */
export interface DeadLetterLog {
  readonly kind: 'kafka' | 'local'
  /** The dead-letter topic or directory, for messages. */
  readonly where: string
  /** Each partition's first kept and one-past-last offsets. */
  ranges(opts: Signal): Promise<PartitionRange[]>
  /** Up to `max` letters of `partition` from offset `from`: a bounded read. */
  read(partition: number, from: number, max: number, opts: Signal): Promise<RawLetter[]>
  /** Marks written since the last call (every mark on the first call). */
  newMarks(opts: Signal): Promise<HandledMark[]>
  /** Makes marks durable. */
  mark(marks: readonly HandledMark[], opts: Signal): Promise<void>
  /**
   * Removes the marks of letters that retention deleted (below their partition's first kept
   * offset), so that marks do not outlive their letters: the embedded queue rewrites `dlq.handled`
   * without them, Kafka writes tombstones for their keys to the compacted handled topic.
   */
  forget(ids: readonly string[], opts: Signal): Promise<void>
  /** Puts the letters' original bytes back on the tasks topic or queue, durably. */
  republish(letters: readonly { letter: RawLetter; replay: number }[], opts: Signal): Promise<void>
  close(): Promise<void>
}

/** Per partition, the next offset to read. */
export type Cursor = Readonly<Record<string, number>>

export interface LetterQuery {
  /** Only letters in this state; all when absent. */
  readonly state?: LetterState
  readonly code?: string
  readonly taskId?: string
  /** Where to go on from (a page's `next`); otherwise from `from`. */
  readonly cursor?: Cursor
  /** Without a cursor: the oldest letters kept, or the last `limit` of each partition. */
  readonly from?: 'oldest' | 'newest'
  readonly limit: number
}

export interface LetterPage {
  readonly letters: readonly Letter[]
  /** Where the next page starts; absent at the end of the log. */
  readonly next?: Cursor
  /** Records read for this page (filters can make it more than `limit`, never unbounded). */
  readonly scanned: number
}

export interface LetterSummary {
  readonly kind: 'kafka' | 'local'
  readonly where: string
  /** Letters kept in the log. */
  readonly total: number
  readonly pending: number
  readonly replayed: number
  readonly discarded: number
  /** Error codes of the most recent letters (up to `recent` of them), most frequent first. */
  readonly recentCodes: readonly { readonly code: string; readonly count: number }[]
  readonly recent: number
}

/** Letters to act on: by id, or every pending letter with one error code. */
export type Selection = { readonly ids: readonly string[] } | { readonly code: string }

export interface ActionResult {
  readonly action: 'replay' | 'discard'
  readonly by: string
  readonly done: readonly string[]
  readonly skipped: readonly { readonly id: string; readonly reason: string }[]
}

export interface DeadLetterStore {
  readonly kind: 'kafka' | 'local'
  readonly where: string
  list(query: LetterQuery, opts: Signal): Promise<LetterPage>
  get(id: string, opts: Signal): Promise<Letter | undefined>
  summary(opts: Signal): Promise<LetterSummary>
  replay(selection: Selection, by: string, opts: Signal): Promise<ActionResult>
  discard(selection: Selection, by: string, opts: Signal): Promise<ActionResult>
  close(): Promise<void>
}

/** `partition:offset` ⇄ its parts; anything else is not a letter id. */
export function letterId(partition: number, offset: number): string {
  return `${partition}:${offset}`
}

export function parseLetterId(id: string): { partition: number; offset: number } | undefined {
  const match = /^(\d{1,9}):(\d{1,18})$/.exec(id)
  if (!match) return undefined
  return { partition: Number(match[1]), offset: Number(match[2]) }
}
