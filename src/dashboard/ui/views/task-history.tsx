/** A task's status records, oldest first, and what the history cannot show. */
import type { HistoryView } from '../../api-types.ts'
import { time } from '../format.ts'
import { Badge, Notice } from './parts.tsx'

export function TaskHistory({ history, mode }: { history: HistoryView; mode: 'kafka' | 'local' }) {
  const { records, compacted, omitted } = history
  return (
    <>
      <h4 id="history-title">Status history</h4>
      {compacted && (
        <Notice kind="warn">
          Older records of this task were compacted away: status.log keeps only each task's latest
          state and its attempt count once it is compacted, so the first record below stands for
          everything before it.
        </Notice>
      )}
      {omitted > 0 && (
        <Notice>
          {omitted} record(s) from the middle of this task's history are not shown: the first and
          the latest ones are.
        </Notice>
      )}
      <table class="data" id="task-history" aria-labelledby="history-title">
        <caption>
          {records.length} status record(s) in the order they were written
          {mode === 'kafka' ? ' (status topic)' : ' (status.log)'}
        </caption>
        <thead>
          <tr>
            <th scope="col">time</th>
            <th scope="col">state</th>
            <th scope="col">worker</th>
            <th scope="col">progress</th>
            <th scope="col">error</th>
          </tr>
        </thead>
        <tbody>
          {records.map((r, i) => (
            <tr key={i} data-state={r.state}>
              <td>{time(r.at)}</td>
              <td>
                {r.state}{' '}
                {r.compacted_attempts !== undefined && (
                  <Badge text={`compacted, ${r.compacted_attempts} attempt(s)`} tone="muted" />
                )}
                {r.stale && <Badge text="late: ignored" tone="warn" />}
              </td>
              <td>{r.worker_id}</td>
              <td>{r.progress ? `${r.progress.done}/${r.progress.total}` : ''}</td>
              <td>
                {r.error && (
                  <>
                    <code>{r.error.code}</code>: {r.error.message}
                    {r.error.retriable ? ' (retried)' : ''}
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {records.some((r) => r.stale) && (
        <p class="hint">
          A record marked “late: ignored” was stamped earlier than the state before it (a late
          writer), so the task kept that state.
        </p>
      )}
    </>
  )
}
