/**
 * Letters: the DeadLetterStore over either mode's DeadLetterLog. Reads are bounded (paging.ts);
 * actions run one at a time in this process, act only on letters still pending, put a task back
 * before marking its letter (a crash in between replays it again on the next try, never loses it:
 * the store's deterministic vector ids make a second run of a task harmless), and are logged with
 * who did what to how many. After an action, the marks of letters that retention has deleted since
 * are forgotten (DeadLetterLog.forget), so the marks stay as bounded as the log.
 */
import type { Logger } from '../observability/logger.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'
import type {
  ActionResult,
  DeadLetterLog,
  DeadLetterStore,
  HandledMark,
  HandledState,
  Letter,
  LetterPage,
  LetterQuery,
  LetterSummary,
  RawLetter,
  Selection,
} from './dead-letter.ts'
import { parseLetterId } from './dead-letter.ts'
import { Marks } from './marks.ts'
import { everyLetter, readPage } from './paging.ts'

/** Letters the summary reads from the end of the log to count recent error codes. */
const recentWindow = 200
/** Ids one action may name. */
export const maxSelection = 1_000

export class Letters implements DeadLetterStore {
  readonly #log: DeadLetterLog
  readonly #logger: Logger
  readonly #marks = new Marks()
  #turn: Promise<unknown> = Promise.resolve()
  #recent: { key: string; codes: LetterSummary['recentCodes']; count: number } | undefined

  constructor(log: DeadLetterLog, logger: Logger) {
    this.#log = log
    this.#logger = logger.child({ component: 'dead-letters', dlq: log.where })
  }

  get kind(): 'kafka' | 'local' {
    return this.#log.kind
  }

  get where(): string {
    return this.#log.where
  }

  async list(query: LetterQuery, { signal }: Signal): Promise<LetterPage> {
    await this.#marks.refresh(this.#log, signal)
    return readPage(this.#log, this.#marks, query, signal)
  }

  async get(id: string, { signal }: Signal): Promise<Letter | undefined> {
    const at = parseLetterId(id)
    if (!at) throw badId(id)
    await this.#marks.refresh(this.#log, signal)
    const [raw] = await this.#log.read(at.partition, at.offset, 1, { signal })
    return raw?.offset === at.offset ? this.#marks.view(raw) : undefined
  }

  async summary({ signal }: Signal): Promise<LetterSummary> {
    await this.#marks.refresh(this.#log, signal)
    const ranges = await this.#log.ranges({ signal })
    const total = ranges.reduce((n, r) => n + (r.high - r.low), 0)
    const handled = { replayed: 0, discarded: 0 }
    for (const mark of this.#marks.values()) {
      const at = parseLetterId(mark.id)
      const range = ranges.find((r) => r.partition === at?.partition)
      if (at && range && at.offset >= range.low && at.offset < range.high) handled[mark.state]++
    }
    const recent = await this.#recentCodes(ranges, signal)
    const { kind, where } = this.#log
    const pending = Math.max(0, total - handled.replayed - handled.discarded)
    return {
      kind,
      where,
      total,
      pending,
      ...handled,
      recentCodes: recent.codes,
      recent: recent.count,
    }
  }

  replay(selection: Selection, by: string, opts: Signal): Promise<ActionResult> {
    return this.#act('replayed', selection, by, opts.signal)
  }

  discard(selection: Selection, by: string, opts: Signal): Promise<ActionResult> {
    return this.#act('discarded', selection, by, opts.signal)
  }

  close(): Promise<void> {
    return this.#turn.then(() => this.#log.close())
  }

  #act(state: HandledState, selection: Selection, by: string, signal: AbortSignal) {
    const turn = this.#turn.then(async () => {
      await this.#marks.refresh(this.#log, signal)
      const result: ActionResult = { action: action(state), by, done: [], skipped: [] }
      for await (const batch of this.#select(selection, signal)) {
        await this.#apply(state, batch, by, result, signal)
      }
      this.#logger.info(
        { action: result.action, by, selection: describe(selection), done: result.done.length },
        `${result.done.length} dead letter(s) ${state}, ${result.skipped.length} skipped, by ${by}`,
      )
      await this.#forgetOrphans(signal)
      return result
    })
    this.#turn = turn.catch(() => undefined)
    return turn
  }

  /**
   * Forgets the marks of letters retention deleted. Done after an action, which has write access
   * and has just refreshed the marks; a failure waits for the next action.
   */
  async #forgetOrphans(signal: AbortSignal): Promise<void> {
    try {
      const orphans = this.#marks.orphans(await this.#log.ranges({ signal }))
      if (orphans.length === 0) return
      await this.#log.forget(orphans, { signal })
      this.#marks.forget(orphans)
      this.#logger.info(
        { forgotten: orphans.length },
        `forgot ${orphans.length} handled mark(s) of dead letters that retention deleted`,
      )
    } catch (err) {
      this.#logger.warn({ err }, 'cannot forget the marks of deleted dead letters; next action')
    }
  }

  async #apply(
    state: HandledState,
    batch: readonly (Letter | { id: string; missing: true })[],
    by: string,
    result: ActionResult,
    signal: AbortSignal,
  ): Promise<void> {
    const skipped = result.skipped as { id: string; reason: string }[]
    const chosen: { letter: Letter; replay: number }[] = []
    const earlier = new Map<string, number>() // replays of a task earlier in this batch
    for (const item of batch) {
      const reason = 'missing' in item ? 'no such dead letter' : refusal(state, item)
      if (reason !== undefined || 'missing' in item) {
        skipped.push({ id: item.id, reason: reason ?? 'no such dead letter' })
        continue
      }
      const before = earlier.get(item.taskId) ?? 0
      earlier.set(item.taskId, before + 1)
      chosen.push({ letter: item, replay: this.#marks.nextReplay(item) + before })
    }
    if (chosen.length === 0) return
    if (state === 'replayed') await this.#log.republish(chosen, { signal })
    const at = new Date().toISOString()
    const marks = chosen.map(({ letter, replay }) => mark(letter, state, at, by, replay))
    await this.#log.mark(marks, { signal })
    for (const m of marks) this.#marks.add(m)
    ;(result.done as string[]).push(...marks.map((m) => m.id))
  }

  async *#select(selection: Selection, signal: AbortSignal) {
    if ('ids' in selection) {
      if (selection.ids.length > maxSelection) {
        throw new VectorizeError(
          'invalid_argument',
          `${selection.ids.length} dead letters named; at most ${maxSelection} per action (select by error code for more)`,
        )
      }
      const found: (Letter | { id: string; missing: true })[] = []
      for (const id of new Set(selection.ids)) {
        found.push((await this.get(id, { signal })) ?? { id, missing: true })
      }
      yield found
      return
    }
    for await (const raw of everyLetter(this.#log, signal)) {
      yield raw
        .map((r) => this.#marks.view(r))
        .filter((l) => l.state === 'pending' && l.error.code === selection.code)
    }
  }

  async #recentCodes(ranges: Awaited<ReturnType<DeadLetterLog['ranges']>>, signal: AbortSignal) {
    const key = ranges.map((r) => `${r.partition}:${r.low}-${r.high}`).join(',')
    if (this.#recent?.key === key) return this.#recent
    const share = Math.max(1, Math.ceil(recentWindow / Math.max(1, ranges.length)))
    const letters: RawLetter[] = []
    for (const r of ranges) {
      const from = Math.max(r.low, r.high - share)
      if (from < r.high)
        letters.push(...(await this.#log.read(r.partition, from, share, { signal })))
    }
    const counts = new Map<string, number>()
    for (const l of letters) counts.set(l.error.code, (counts.get(l.error.code) ?? 0) + 1)
    const codes = [...counts]
      .map(([code, count]) => ({ code, count }))
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
    this.#recent = { key, codes, count: letters.length }
    return this.#recent
  }
}

function refusal(state: HandledState, letter: Letter): string | undefined {
  if (letter.state !== 'pending') return `already ${letter.state}`
  if (state === 'replayed' && letter.truncated) {
    return `its payload was cut to fit the dead-letter topic (${letter.truncated.bytes} bytes originally, sha256 ${letter.truncated.sha256}): the original bytes are not there to replay`
  }
  return undefined
}

function mark(
  letter: Letter,
  state: HandledState,
  at: string,
  by: string,
  replay: number,
): HandledMark {
  const { id, taskId } = letter
  const code = letter.error.code
  return { id, state, at, by, taskId, code, ...(state === 'replayed' && { replay }) }
}

const action = (state: HandledState) => (state === 'replayed' ? 'replay' : 'discard')

function describe(selection: Selection): string {
  if ('code' in selection) return `every pending letter with code ${selection.code}`
  const ids = selection.ids
  return ids.length <= 10
    ? ids.join(',')
    : `${ids.slice(0, 10).join(',')} and ${ids.length - 10} more`
}

function badId(id: string): VectorizeError {
  return new VectorizeError(
    'invalid_argument',
    `${JSON.stringify(id)} is not a dead-letter id (partition:offset, e.g. 0:42)`,
  )
}
