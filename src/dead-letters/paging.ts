/**
 * One page of dead letters across partitions, oldest first by time, read in bounded chunks: at
 * most `scanBudget` records are read per page whatever the filters, so a page of a million-letter
 * log costs the same as a page of a short one. The cursor is each partition's next offset.
 */
import type {
  Cursor,
  DeadLetterLog,
  Letter,
  LetterPage,
  LetterQuery,
  PartitionRange,
  RawLetter,
} from './dead-letter.ts'
import type { Marks } from './marks.ts'

/** Records read at most for one page. */
export const scanBudget = 5_000
/** Records read per partition per read. */
const chunk = 200

interface Lane {
  readonly partition: number
  readonly high: number
  next: number
  buffer: RawLetter[]
}

export async function readPage(
  log: DeadLetterLog,
  marks: Marks,
  query: LetterQuery,
  signal: AbortSignal,
): Promise<LetterPage> {
  const ranges = await log.ranges({ signal })
  if (query.from === 'newest' && !query.cursor) return readNewest(log, marks, ranges, query, signal)
  const lanes = ranges.map((r) => lane(r, query))
  const letters: Letter[] = []
  let scanned = 0
  while (letters.length < query.limit && scanned < scanBudget) {
    await fill(log, lanes, Math.min(chunk, scanBudget - scanned), signal)
    const head = earliest(lanes)
    if (!head) break
    const raw = head.buffer.shift()!
    head.next = raw.offset + 1
    scanned++
    const letter = marks.view(raw)
    if (matches(letter, query)) letters.push(letter)
  }
  const open = lanes.filter((l) => l.next < l.high)
  const next = Object.fromEntries(lanes.map((l) => [String(l.partition), l.next]))
  return { letters, scanned, ...(open.length > 0 && { next }) }
}

/**
 * The newest letters: the last `limit` records of every partition, those that match, the latest
 * `limit` of them by time. The page ends the log (it has no cursor to go on from).
 */
async function readNewest(
  log: DeadLetterLog,
  marks: Marks,
  ranges: readonly PartitionRange[],
  query: LetterQuery,
  signal: AbortSignal,
): Promise<LetterPage> {
  const size = Math.min(query.limit, scanBudget)
  const read = await Promise.all(
    ranges.map((r) => {
      const from = Math.max(r.low, r.high - size)
      return from < r.high ? log.read(r.partition, from, size, { signal }) : Promise.resolve([])
    }),
  )
  const all = read.flat()
  const letters = all
    .map((raw) => marks.view(raw))
    .filter((l) => matches(l, query))
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.partition - b.partition))
    .slice(-query.limit)
  return { letters, scanned: all.length }
}

function lane(range: PartitionRange, query: LetterQuery): Lane {
  const { partition, low, high } = range
  const start = query.cursor?.[String(partition)] ?? low
  return { partition, high, next: Math.min(Math.max(start, low), high), buffer: [] }
}

async function fill(log: DeadLetterLog, lanes: Lane[], size: number, signal: AbortSignal) {
  await Promise.all(
    lanes.map(async (l) => {
      if (l.buffer.length > 0 || l.next >= l.high) return
      const read = await log.read(l.partition, l.next, Math.max(1, size), { signal })
      // a read that finds nothing (records deleted under it) ends this lane
      if (read.length === 0) l.next = l.high
      l.buffer = read
    }),
  )
}

function earliest(lanes: readonly Lane[]): Lane | undefined {
  let best: Lane | undefined
  for (const l of lanes) {
    const head = l.buffer[0]
    if (!head) continue
    const current = best?.buffer[0]
    if (!current || head.at < current.at) best = l
  }
  return best
}

export function matches(letter: Letter, query: Omit<LetterQuery, 'limit'>): boolean {
  if (query.state !== undefined && letter.state !== query.state) return false
  if (query.code !== undefined && letter.error.code !== query.code) return false
  if (query.taskId !== undefined && letter.taskId !== query.taskId) return false
  return true
}

/** Every letter of the log in bounded chunks, for actions on "all of one error code". */
export async function* everyLetter(
  log: DeadLetterLog,
  signal: AbortSignal,
): AsyncGenerator<RawLetter[]> {
  for (const range of await log.ranges({ signal })) {
    let next = range.low
    while (next < range.high) {
      const read = await log.read(range.partition, next, chunk, { signal })
      if (read.length === 0) break
      yield read
      next = read[read.length - 1]!.offset + 1
    }
  }
}

export function isCursor(value: unknown): value is Cursor {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  return Object.entries(value).every(
    ([k, v]) => /^\d{1,9}$/.test(k) && Number.isSafeInteger(v) && (v as number) >= 0,
  )
}
