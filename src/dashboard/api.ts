/**
 * The dashboard's API: JSON reads of the cluster, the dead letters, a task and the collections,
 * and the two actions. Every handler gets its parts as arguments; the server (server.ts) has
 * already admitted the request, and checks actions with the Guard before calling one.
 */
import type { DeadLetterStore, LetterState, Selection } from '../dead-letters/dead-letter.ts'
import { letterStates } from '../dead-letters/dead-letter.ts'
import { isCursor } from '../dead-letters/paging.ts'
import { showLetter } from '../dead-letters/present.ts'
import type { StatusView } from '../reporters/reporter.ts'
import { VectorizeError } from '../worker/errors.ts'
import type {
  ActionResultView,
  CollectionsView,
  LetterPageView,
  SearchHitView,
  ShownLetter,
  TaskView,
} from './api-types.ts'
import type { Cluster } from './cluster.ts'

/** The parts the API reads; each may be missing in a mode that has none. */
export interface ApiParts {
  readonly cluster: Cluster
  readonly deadLetters: DeadLetterStore | { readonly unavailable: string }
  readonly statusView: () => Promise<StatusView>
  readonly collections: CollectionsReader
  /** The config as `config print` shows it: secrets redacted. */
  readonly config: () => unknown
}

export interface CollectionsReader {
  list(signal: AbortSignal): Promise<CollectionsView>
  search(name: string, text: string, k: number, signal: AbortSignal): Promise<SearchHitView[]>
}

const previewChars = 300
/** How long a task lookup may scan the Kafka status topic. */
const taskScanMs = 30_000

export function listLetters(store: DeadLetterStore, params: URLSearchParams, signal: AbortSignal) {
  const state = params.get('state') ?? 'pending'
  if (state !== 'all' && !(letterStates as readonly string[]).includes(state)) {
    throw new VectorizeError('invalid_argument', `state must be ${letterStates.join(', ')} or all`)
  }
  const limit = Number(params.get('limit') ?? 50)
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new VectorizeError('invalid_argument', 'limit must be 1 to 500')
  }
  const cursor = parseJson(params.get('cursor'))
  if (cursor !== undefined && !isCursor(cursor)) {
    throw new VectorizeError('invalid_argument', 'cursor must be a page’s `next`')
  }
  const code = params.get('code') || undefined
  const taskId = params.get('task') || undefined
  return store
    .list(
      {
        ...(state !== 'all' && { state: state as LetterState }),
        ...(code !== undefined && { code }),
        ...(taskId !== undefined && { taskId }),
        ...(cursor !== undefined && { cursor }),
        from: params.get('from') === 'newest' ? 'newest' : 'oldest',
        limit,
      },
      { signal },
    )
    .then((page): LetterPageView => ({
      letters: page.letters.map((l) => showLetter(l, previewChars)),
      scanned: page.scanned,
      ...(page.next && { next: page.next }),
    }))
}

export async function oneLetter(
  store: DeadLetterStore,
  id: string,
  signal: AbortSignal,
): Promise<ShownLetter> {
  const letter = await store.get(id, { signal })
  if (!letter) throw new VectorizeError('not_found', `no dead letter ${id} in ${store.where}`)
  return showLetter(letter)
}

/** The body of an action: `{"ids": [...]}` or `{"code": "..."}`. */
export function selectionOf(body: unknown): Selection {
  const b = body as { ids?: unknown; code?: unknown } | null
  if (Array.isArray(b?.ids) && b.ids.every((i) => typeof i === 'string') && b.ids.length > 0) {
    return { ids: b.ids }
  }
  if (typeof b?.code === 'string' && b.code !== '') return { code: b.code }
  throw new VectorizeError(
    'invalid_argument',
    'send {"ids": ["0:12", …]} or {"code": "unknown_model"}',
  )
}

export async function act(
  store: DeadLetterStore,
  action: 'replay' | 'discard',
  selection: Selection,
  by: string,
  signal: AbortSignal,
): Promise<ActionResultView> {
  return store[action](selection, by, { signal })
}

export async function task(
  parts: ApiParts,
  taskId: string,
  signal: AbortSignal,
): Promise<TaskView> {
  const letters = await lettersOfTask(parts.deadLetters, taskId, signal)
  let view: StatusView
  try {
    view = await parts.statusView()
  } catch (err) {
    return { status_unavailable: (err as Error).message, dead_letters: letters }
  }
  // a Kafka lookup scans the status and results topics: bounded in time, partial past it
  const lookup = AbortSignal.any([signal, AbortSignal.timeout(taskScanMs)])
  const record = await view.task(taskId, { signal: lookup, history: true })
  const { scanned } = view
  return {
    ...(record && { task: record }),
    ...(scanned && scanned.length > 0 && { scanned }),
    dead_letters: letters,
  }
}

/** The task's dead letters among the newest ones (a bounded read, not a search of the log). */
async function lettersOfTask(
  store: ApiParts['deadLetters'],
  taskId: string,
  signal: AbortSignal,
): Promise<ShownLetter[]> {
  if ('unavailable' in store) return []
  try {
    const page = await store.list({ taskId, from: 'newest', limit: 1_000 }, { signal })
    return page.letters.map((l) => showLetter(l, previewChars))
  } catch {
    return []
  }
}

function parseJson(text: string | null): unknown {
  if (text === null || text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new VectorizeError('invalid_argument', 'cursor is not JSON')
  }
}
