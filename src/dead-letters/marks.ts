/**
 * The handled marks folded in memory: what was done with each letter, and how often each task was
 * replayed (to show a replay loop, and to number the next replay). Kept up to date by reading only
 * the marks written since the last fold, by this process or any other.
 */
import type {
  DeadLetterLog,
  HandledMark,
  Letter,
  PartitionRange,
  RawLetter,
} from './dead-letter.ts'
import { parseLetterId } from './dead-letter.ts'

interface Replay {
  readonly partition: number
  readonly offset: number
}

export class Marks {
  readonly #byId = new Map<string, HandledMark>()
  readonly #replays = new Map<string, Replay[]>()
  #folding: Promise<void> = Promise.resolve()

  /** Folds in the marks written since the last call; calls queue behind each other. */
  refresh(log: DeadLetterLog, signal: AbortSignal): Promise<void> {
    const next = this.#folding.then(async () => {
      for (const mark of await log.newMarks({ signal })) this.add(mark)
    })
    this.#folding = next.catch(() => undefined)
    return next
  }

  add(mark: HandledMark): void {
    if (this.#byId.has(mark.id)) return // the first mark of a letter wins: handled is final
    this.#byId.set(mark.id, mark)
    const at = parseLetterId(mark.id)
    if (mark.state !== 'replayed' || !at) return
    const list = this.#replays.get(mark.taskId) ?? []
    list.push(at)
    this.#replays.set(mark.taskId, list)
  }

  /** Marks of letters below their partition's first kept offset: retention deleted the letters. */
  orphans(ranges: readonly PartitionRange[]): string[] {
    const low = new Map(ranges.map((r) => [r.partition, r.low]))
    return [...this.#byId.keys()].filter((id) => {
      const at = parseLetterId(id)
      const first = at && low.get(at.partition)
      return at !== undefined && first !== undefined && at.offset < first
    })
  }

  /** Drops marks (forgotten by the log); a task's replay count keeps them. */
  forget(ids: readonly string[]): void {
    for (const id of ids) this.#byId.delete(id)
  }

  get(id: string): HandledMark | undefined {
    return this.#byId.get(id)
  }

  /** Every mark, for counting the handled letters of a range. */
  values(): IterableIterator<HandledMark> {
    return this.#byId.values()
  }

  /** The letter with its state and its task's replays before it. */
  view(raw: RawLetter): Letter {
    const handled = this.#byId.get(raw.id)
    const before = (this.#replays.get(raw.taskId) ?? []).filter(
      (r) => r.partition === raw.partition && r.offset < raw.offset,
    ).length
    return {
      ...raw,
      state: handled?.state ?? 'pending',
      ...(handled && { handled }),
      replays: Math.max(before, raw.replays ?? 0),
    }
  }

  /** The number the next replay of this letter's task gets (1 for the first). */
  nextReplay(letter: Letter): number {
    const all = this.#replays.get(letter.taskId)?.length ?? 0
    return Math.max(all, letter.replays) + 1
  }
}
