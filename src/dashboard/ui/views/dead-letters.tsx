/**
 * Dead letters: filter by state, code and task; page through (bounded reads on the server); open
 * one with every header and its payload; replay or discard a selection or every pending letter of
 * one code — each confirmed in the page, then reported in a live region.
 */
import { useEffect, useState } from 'preact/hooks'
import type {
  ActionResultView,
  Boot,
  LetterPageView,
  ShownLetter,
  Snapshot,
} from '../../api-types.ts'
import { act, get, query } from '../api.ts'
import { count } from '../format.ts'
import { href } from '../route.ts'
import { LetterDetail } from './letter-detail.tsx'
import { LetterTable } from './letter-table.tsx'
import { isUnavailable, Notice } from './parts.tsx'

type Pending = {
  action: 'replay' | 'discard'
  body: { ids: string[] } | { code: string }
  what: string
}

export function DeadLettersView({
  boot,
  params,
  snapshot,
}: {
  boot: Boot
  params: URLSearchParams
  snapshot: Snapshot | undefined
}) {
  const state = params.get('state') ?? 'pending'
  const code = params.get('code') ?? ''
  const task = params.get('task') ?? ''
  const from = params.get('from') ?? 'oldest'
  const cursor = params.get('cursor') ?? ''
  const open = params.get('open')
  const [page, setPage] = useState<LetterPageView>()
  const [error, setError] = useState<string>()
  const [selection, setSelection] = useState<Set<string>>(new Set())
  const [confirm, setConfirm] = useState<Pending>()
  const [result, setResult] = useState<string>()
  const [reload, setReload] = useState(0)
  const key = [state, code, task, from, cursor].join('|')

  useEffect(() => {
    const abort = new AbortController()
    setError(undefined)
    get<LetterPageView>(
      `/api/dead-letters${query({ state, code, task, from, cursor, limit: 50 })}`,
      abort.signal,
    ).then(
      (p) => setPage(p),
      (e: Error) => !abort.signal.aborted && setError(e.message),
    )
    return () => abort.abort()
  }, [key, reload])
  useEffect(() => setSelection(new Set()), [key])

  const go = (next: Record<string, string | undefined>) =>
    (location.hash = href('dead-letters', { state, code, task, ...next }))
  const run = async (pending: Pending) => {
    setConfirm(undefined)
    try {
      const r: ActionResultView = await act(pending.action, pending.body)
      const verb = r.action === 'replay' ? 'replayed' : 'discarded'
      const skipped = r.skipped.length
        ? `; ${r.skipped.length} skipped (${r.skipped.map((s) => `${s.id}: ${s.reason}`).join('; ')})`
        : ''
      setResult(`${r.done.length} dead letter(s) ${verb}${skipped}.`)
    } catch (e) {
      setResult(`Refused: ${(e as Error).message}`)
    }
    setSelection(new Set())
    setReload((n) => n + 1)
  }
  const dlq = snapshot && !isUnavailable(snapshot.dead_letters) ? snapshot.dead_letters : undefined
  const ids = [...selection]

  return (
    <section aria-labelledby="dlq-title">
      <h2 id="dlq-title">Dead letters</h2>
      {dlq && (
        <p class="hint" id="dlq-summary">
          {count(dlq.total)} kept in {dlq.where}: {count(dlq.pending)} pending,{' '}
          {count(dlq.replayed)} replayed, {count(dlq.discarded)} discarded.
        </p>
      )}
      <Filters
        state={state}
        code={code}
        task={task}
        codes={dlq?.recentCodes.map((c) => c.code) ?? []}
        onApply={(f) => go(f)}
      />
      {!boot.allowActions && (
        <Notice>Read-only: replaying and discarding need dashboard.allow_actions: true.</Notice>
      )}
      {boot.allowActions && (
        <div class="row actions" role="group" aria-label="Actions">
          <button
            type="button"
            disabled={ids.length === 0}
            onClick={() =>
              setConfirm({
                action: 'replay',
                body: { ids },
                what: `${ids.length} selected letter(s)`,
              })
            }
          >
            Replay selected
          </button>
          <button
            type="button"
            disabled={ids.length === 0}
            onClick={() =>
              setConfirm({
                action: 'discard',
                body: { ids },
                what: `${ids.length} selected letter(s)`,
              })
            }
          >
            Discard selected
          </button>
          {code && (
            <>
              <button
                type="button"
                onClick={() =>
                  setConfirm({
                    action: 'replay',
                    body: { code },
                    what: `every pending letter with code ${code}`,
                  })
                }
              >
                Replay all {code}
              </button>
              <button
                type="button"
                onClick={() =>
                  setConfirm({
                    action: 'discard',
                    body: { code },
                    what: `every pending letter with code ${code}`,
                  })
                }
              >
                Discard all {code}
              </button>
            </>
          )}
        </div>
      )}
      {confirm && (
        <div class="confirm" role="alertdialog" aria-labelledby="confirm-text">
          <p id="confirm-text">
            {confirm.action === 'replay' ? 'Put back on the tasks queue' : 'Discard'} {confirm.what}
            ?
          </p>
          <button type="button" class="primary" autoFocus onClick={() => void run(confirm)}>
            Confirm {confirm.action}
          </button>
          <button type="button" onClick={() => setConfirm(undefined)}>
            Cancel
          </button>
        </div>
      )}
      <p role="status" aria-live="polite" id="action-result">
        {result}
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      {page && (
        <>
          {page.letters.length === 0 ? (
            <p>No dead letters match.</p>
          ) : (
            <LetterTable
              letters={page.letters}
              {...(boot.allowActions && {
                selection,
                onToggle: (id: string, on: boolean) => setSelection((s) => toggled(s, id, on)),
              })}
              onOpen={(id) => go({ open: id, from, cursor })}
            />
          )}
          <Pager
            page={page}
            onFirst={() => go({ from: 'oldest' })}
            onNewest={() => go({ from: 'newest' })}
            onNext={(c) => go({ cursor: JSON.stringify(c) })}
          />
        </>
      )}
      {open && <LetterDetail id={open} reload={reload} onClose={() => go({ from, cursor })} />}
    </section>
  )
}

function toggled(s: ReadonlySet<string>, id: string, on: boolean): Set<string> {
  const next = new Set(s)
  if (on) next.add(id)
  else next.delete(id)
  return next
}

function Filters(props: {
  state: string
  code: string
  task: string
  codes: readonly string[]
  onApply: (f: Record<string, string>) => void
}) {
  const [state, setState] = useState(props.state)
  const [code, setCode] = useState(props.code)
  const [task, setTask] = useState(props.task)
  useEffect(() => {
    setState(props.state)
    setCode(props.code)
    setTask(props.task)
  }, [props.state, props.code, props.task])
  return (
    <form
      class="row filters"
      onSubmit={(e) => {
        e.preventDefault()
        props.onApply({ state, code, task })
      }}
    >
      <label for="dlq-state">State</label>
      <select id="dlq-state" value={state} onChange={(e) => setState(e.currentTarget.value)}>
        {['pending', 'replayed', 'discarded', 'all'].map((s) => (
          <option value={s} key={s}>
            {s}
          </option>
        ))}
      </select>
      <label for="dlq-code">Error code</label>
      <input
        id="dlq-code"
        list="dlq-codes"
        value={code}
        onInput={(e) => setCode(e.currentTarget.value)}
      />
      <datalist id="dlq-codes">
        {props.codes.map((c) => (
          <option value={c} key={c} />
        ))}
      </datalist>
      <label for="dlq-task">Task id</label>
      <input id="dlq-task" value={task} onInput={(e) => setTask(e.currentTarget.value)} />
      <button type="submit">Show</button>
    </form>
  )
}

function Pager({
  page,
  onFirst,
  onNewest,
  onNext,
}: {
  page: LetterPageView
  onFirst: () => void
  onNewest: () => void
  onNext: (c: Readonly<Record<string, number>>) => void
}) {
  return (
    <nav class="row pager" aria-label="Pages">
      <button type="button" onClick={onFirst}>
        Oldest
      </button>
      <button type="button" onClick={onNewest}>
        Newest
      </button>
      <button type="button" disabled={!page.next} onClick={() => page.next && onNext(page.next)}>
        Next page
      </button>
      <span class="hint">
        {page.scanned} records read for this page{page.next ? '' : ' · end of the log'}
      </span>
    </nav>
  )
}

export type { ShownLetter }
