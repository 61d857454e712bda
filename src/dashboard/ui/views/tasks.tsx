/**
 * Tasks: look one up (state, attempts, error, result, its status history, its dead letters);
 * failures by code.
 */
import { useEffect, useState } from 'preact/hooks'
import type { Snapshot, TaskView } from '../../api-types.ts'
import { get } from '../api.ts'
import { count, seconds, time } from '../format.ts'
import { href } from '../route.ts'
import { LetterTable } from './letter-table.tsx'
import { TaskHistory } from './task-history.tsx'
import { isUnavailable, Notice } from './parts.tsx'

export function TasksView({
  snapshot,
  taskId,
}: {
  snapshot: Snapshot | undefined
  taskId: string
}) {
  const [input, setInput] = useState(taskId)
  const [found, setFound] = useState<TaskView>()
  const [error, setError] = useState<string>()
  /** Bumped by every submit, so looking up the same id again reads it again. */
  const [asked, setAsked] = useState(0)
  useEffect(() => {
    setInput(taskId)
    setFound(undefined)
    setError(undefined)
    if (taskId === '') return
    const abort = new AbortController()
    get<TaskView>(`/api/tasks/${encodeURIComponent(taskId)}`, abort.signal).then(
      setFound,
      (e: Error) => {
        if (!abort.signal.aborted) setError(e.message)
      },
    )
    return () => abort.abort()
  }, [taskId, asked])
  return (
    <section aria-labelledby="tasks-title">
      <h2 id="tasks-title">Tasks</h2>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault()
          location.hash = href('tasks', { id: input.trim() })
          setAsked((n) => n + 1)
        }}
      >
        <label for="task-id">Task id</label>
        <input
          id="task-id"
          value={input}
          onInput={(e) => setInput(e.currentTarget.value)}
          required
        />
        <button type="submit">Look up</button>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      {found && <TaskDetail taskId={taskId} view={found} mode={snapshot?.mode ?? 'local'} />}
      <Failures snapshot={snapshot} />
    </section>
  )
}

function TaskDetail(props: { taskId: string; view: TaskView; mode: 'kafka' | 'local' }) {
  const { taskId, view, mode } = props
  const t = view.task
  return (
    <section class="panel" aria-labelledby="task-title">
      <h3 id="task-title">Task {taskId}</h3>
      {view.status_unavailable && (
        <Notice kind="warn">Status unavailable: {view.status_unavailable}</Notice>
      )}
      {!t && !view.status_unavailable && <Notice>No status recorded for this task.</Notice>}
      {view.scanned?.map((s) => (
        <p class="hint" key={s.topic}>
          Read {count(s.records)} of {count(s.total)} records of {s.topic} in {seconds(s.ms / 1000)}
          {s.complete ? '.' : ' — stopped at the time limit: the answer may be partial.'}
        </p>
      ))}
      {t && (
        <dl class="facts" id="task-facts">
          <dt>state</dt>
          <dd data-testid="task-state">{t.state}</dd>
          <dt>updated</dt>
          <dd>
            {time(t.updated_at)} by {t.worker_id}
          </dd>
          <dt>attempts</dt>
          <dd>{t.attempts}</dd>
          {t.progress && (
            <>
              <dt>progress</dt>
              <dd>
                {t.progress.done}/{t.progress.total}
              </dd>
            </>
          )}
          {t.error && (
            <>
              <dt>error</dt>
              <dd>
                <code>{t.error.code}</code>: {t.error.message}
              </dd>
            </>
          )}
          {t.result && (
            <>
              <dt>result</dt>
              <dd>
                {count(t.result.counts.vectors)} vector(s) in{' '}
                <a href={href('collections', { name: t.result.collection })}>
                  {t.result.collection}
                </a>{' '}
                ({t.result.model}, {t.result.dimensions} dims)
              </dd>
              <dt>timings</dt>
              <dd>
                queue {seconds((t.result.timings_ms.queue ?? 0) / 1000)}, inference{' '}
                {seconds((t.result.timings_ms.inference ?? 0) / 1000)}, store{' '}
                {seconds((t.result.timings_ms.store ?? 0) / 1000)}, total{' '}
                {seconds((t.result.timings_ms.total ?? 0) / 1000)}
              </dd>
              <dt>vector ids</dt>
              <dd>
                <ul class="ids">
                  {t.result.ids.slice(0, 50).map((id) => (
                    <li key={id}>
                      <code>{id}</code>
                    </li>
                  ))}
                </ul>
                {t.result.ids.length > 50 && `… and ${t.result.ids.length - 50} more`}
              </dd>
            </>
          )}
        </dl>
      )}
      {t?.history && <TaskHistory history={t.history} mode={mode} />}
      <h4>Its dead letters (among the newest)</h4>
      {view.dead_letters.length === 0 ? <p>None.</p> : <LetterTable letters={view.dead_letters} />}
    </section>
  )
}

function Failures({ snapshot }: { snapshot: Snapshot | undefined }) {
  if (!snapshot) return null
  const byCode = new Map<string, number>()
  if (!isUnavailable(snapshot.workers)) {
    for (const w of snapshot.workers) {
      for (const [code, n] of Object.entries(w.errors_by_code ?? {}))
        byCode.set(code, (byCode.get(code) ?? 0) + n)
    }
  }
  const live = [...byCode].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1])
  const dlq = isUnavailable(snapshot.dead_letters) ? undefined : snapshot.dead_letters
  return (
    <div class="columns">
      <table class="data" id="failures-live">
        <caption>Failures by error code (live workers, since start)</caption>
        <tbody>
          {live.length === 0 && (
            <tr>
              <td>none</td>
            </tr>
          )}
          {live.map(([code, n]) => (
            <tr key={code}>
              <th scope="row">
                <a href={href('dead-letters', { code, state: 'all' })}>{code}</a>
              </th>
              <td>{count(n)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {dlq && (
        <table class="data" id="failures-recent">
          <caption>Recent dead letters by code (last {dlq.recent})</caption>
          <tbody>
            {dlq.recentCodes.length === 0 && (
              <tr>
                <td>none</td>
              </tr>
            )}
            {dlq.recentCodes.map((c) => (
              <tr key={c.code}>
                <th scope="row">
                  <a href={href('dead-letters', { code: c.code, state: 'all' })}>{c.code}</a>
                </th>
                <td>{count(c.count)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
