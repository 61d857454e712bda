/** `vectorize dlq list|show|replay|discard`: the dead letters of either mode, for scripts. */
import type { Command } from 'commander'
import { hostname, userInfo } from 'node:os'
import type {
  ActionResult,
  Cursor,
  DeadLetterStore,
  LetterPage,
  LetterState,
  Selection,
} from '../dead-letters/dead-letter.ts'
import { letterStates } from '../dead-letters/dead-letter.ts'
import { showLetter, type ShownLetter } from '../dead-letters/present.ts'
import { openDeadLetters } from '../main.ts'
import { VectorizeError } from '../worker/errors.ts'
import { table } from './collections.ts'
import { commandContext, type CommandContext } from './context.ts'
import { exitCodes } from './exit-codes.ts'

interface ListOptions {
  state: string
  code?: string
  task?: string
  limit: string
  cursor?: string
  newest?: boolean
}

interface ActOptions {
  code?: string
}

const timeout = () => AbortSignal.timeout(600_000)

export function registerDlq(program: Command): void {
  const dlq = program
    .command('dlq')
    .description('dead letters: list, show, replay to the tasks topic or queue, discard')
  dlq
    .command('list')
    .description('dead letters, oldest first, a page at a time')
    .option('--state <state>', `${letterStates.join(', ')} or all`, 'pending')
    .option('--code <code>', 'only this error code')
    .option('--task <id>', 'only this task id')
    .option('-n, --limit <n>', 'letters per page (1 to 1000)', '50')
    .option('--cursor <p=o,…>', "where to go on from: the previous page's `next`")
    .option('--newest', 'start at the newest letters instead of the oldest')
    .action((opts: ListOptions, command: Command) =>
      withStore(command, true, (ctx, store) => list(ctx, store, opts)),
    )
  dlq
    .command('show')
    .argument('<id>', 'partition:offset, as `dlq list` shows it')
    .description('one dead letter with every header and its payload')
    .action((id: string, _opts: unknown, command: Command) =>
      withStore(command, true, async (ctx, store) => {
        const letter = await store.get(id, { signal: timeout() })
        if (!letter) {
          process.stderr.write(`no dead letter ${id} in ${store.where}\n`)
          process.exitCode = exitCodes.notFound
          return
        }
        const shown = showLetter(letter)
        ctx.print(shown, () => renderOne(shown))
      }),
    )
  for (const action of ['replay', 'discard'] as const) {
    dlq
      .command(action)
      .argument('[ids...]', 'partition:offset of each letter')
      .option('--code <code>', 'every pending letter with this error code')
      .description(
        action === 'replay'
          ? 'put the original message back on the tasks topic or queue (x-replays counts the replays) and mark the letter replayed'
          : 'mark dead letters discarded (the log is never rewritten)',
      )
      .action((ids: string[], opts: ActOptions, command: Command) =>
        withStore(command, false, (ctx, store) => act(ctx, store, action, selection(ids, opts))),
      )
  }
}

async function withStore(
  command: Command,
  quiet: boolean,
  run: (ctx: CommandContext, store: DeadLetterStore) => Promise<void>,
): Promise<void> {
  // actions log who did what at info level (an audit line on stderr); reads stay quiet
  const ctx = await commandContext(command, { quietLogs: quiet })
  try {
    await run(ctx, await openDeadLetters(ctx))
  } finally {
    await ctx.resources.close()
  }
}

async function list(ctx: CommandContext, store: DeadLetterStore, opts: ListOptions) {
  const limit = Number(opts.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new VectorizeError('invalid_argument', `--limit must be 1 to 1000, got ${opts.limit}`)
  }
  const page = await store.list(
    {
      ...state(opts.state),
      ...(opts.code !== undefined && { code: opts.code }),
      ...(opts.task !== undefined && { taskId: opts.task }),
      ...(opts.cursor !== undefined && { cursor: parseCursor(opts.cursor) }),
      from: opts.newest ? 'newest' : 'oldest',
      limit,
    },
    { signal: timeout() },
  )
  const shown = { ...page, letters: page.letters.map((l) => showLetter(l, 200)) }
  ctx.print(shown, () => renderPage(page, store.where))
}

async function act(
  ctx: CommandContext,
  store: DeadLetterStore,
  action: 'replay' | 'discard',
  chosen: Selection,
) {
  const by = `cli ${userInfo().username}@${hostname()}`
  const result = await store[action](chosen, by, { signal: timeout() })
  ctx.print(result, () => renderResult(result))
  if (result.skipped.some((s) => s.reason === 'no such dead letter'))
    process.exitCode = exitCodes.notFound
}

function selection(ids: readonly string[], opts: ActOptions): Selection {
  if (opts.code !== undefined && ids.length > 0) {
    throw new VectorizeError('invalid_argument', 'name letters by id or choose --code, not both')
  }
  if (opts.code !== undefined) return { code: opts.code }
  if (ids.length === 0) {
    throw new VectorizeError(
      'invalid_argument',
      'name the letters (partition:offset …) or --code CODE',
    )
  }
  return { ids }
}

function state(raw: string): { state?: LetterState } {
  if (raw === 'all') return {}
  if ((letterStates as readonly string[]).includes(raw)) return { state: raw as LetterState }
  throw new VectorizeError(
    'invalid_argument',
    `--state must be ${letterStates.join(', ')} or all, got ${raw}`,
  )
}

/** `0=12,1=30` (as `list` prints it) → a cursor. */
export function parseCursor(raw: string): Cursor {
  const cursor: Record<string, number> = {}
  for (const part of raw.split(',').filter((p) => p.trim() !== '')) {
    const match = /^\s*(\d{1,9})=(\d{1,18})\s*$/.exec(part)
    if (!match)
      throw new VectorizeError(
        'invalid_argument',
        `--cursor expects partition=offset,…, got ${JSON.stringify(raw)}`,
      )
    cursor[match[1]!] = Number(match[2])
  }
  return cursor
}

export function formatCursor(cursor: Cursor): string {
  return Object.entries(cursor)
    .map(([p, o]) => `${p}=${o}`)
    .join(',')
}

function renderPage(page: LetterPage, where: string): string {
  const rows = page.letters.map((l) => [
    l.id,
    l.at.replace('T', ' ').slice(0, 19),
    l.state,
    l.error.code,
    l.taskId,
    String(l.attempts),
    String(l.replays),
    l.workerId,
  ])
  const header = ['id', 'at', 'state', 'code', 'task', 'attempts', 'replays', 'worker']
  const body = rows.length > 0 ? table(header, rows) : `no dead letters match in ${where}`
  const more = page.next
    ? `\n(read ${page.scanned} records; more with --cursor ${formatCursor(page.next)})`
    : ''
  return body + more
}

function renderOne(l: ShownLetter): string {
  const lines = [
    `id        ${l.id}   (${l.state}${l.handled ? ` ${l.handled.at} by ${l.handled.by}` : ''})`,
    `task      ${l.task_id}`,
    `error     ${l.error.class} ${l.error.code}: ${l.error.message}`,
    `origin    ${l.origin.topic} partition ${l.origin.partition} offset ${l.origin.offset}`,
    `attempts  ${l.attempts}, replays before ${l.replays}, worker ${l.worker_id}, at ${l.at}`,
    'headers',
    ...Object.entries(l.headers).map(([k, v]) => `  ${k}: ${v}`),
  ]
  if (l.truncated) lines.push(`payload   cut to fit: ${l.truncated.bytes} bytes originally`)
  const p = l.payload
  const body =
    p.json !== undefined ? JSON.stringify(p.json, null, 2) : (p.text ?? `base64:${p.base64 ?? ''}`)
  lines.push(`payload   ${p.bytes} bytes`, body)
  return lines.join('\n')
}

function renderResult(r: ActionResult): string {
  const past = r.action === 'replay' ? 'replayed' : 'discarded'
  const lines = [
    `${r.done.length} dead letter(s) ${past}${r.done.length > 0 ? `: ${r.done.slice(0, 20).join(' ')}` : ''}`,
  ]
  for (const s of r.skipped) lines.push(`skipped ${s.id}: ${s.reason}`)
  return lines.join('\n')
}
