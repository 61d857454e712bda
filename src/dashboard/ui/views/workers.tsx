/** Workers: every live worker from its heartbeat, late ones flagged; one opened in detail. */
import type { Snapshot, WorkerRow } from '../../api-types.ts'
import { bytes, count, duration, rate } from '../format.ts'
import { href } from '../route.ts'
import { Badge, isUnavailable, Missing, Notice } from './parts.tsx'

export function WorkersView({
  snapshot,
  selected,
}: {
  snapshot: Snapshot | undefined
  selected: string | null
}) {
  if (!snapshot) return <Notice>Waiting for the first reading of the cluster…</Notice>
  if (isUnavailable(snapshot.workers))
    return <Missing what="The worker list" value={snapshot.workers} />
  const workers = snapshot.workers
  const open = workers.find((w) => w.id === selected)
  return (
    <section aria-labelledby="workers-title">
      <h2 id="workers-title">Workers</h2>
      <p class="hint">
        {workers.length} live, from {snapshot.discovery}. A worker whose beat is two intervals late
        is marked late; one whose heartbeat expires leaves the list.
      </p>
      <div class="scroll">
        <table class="data" id="workers">
          <caption class="visually-hidden">Live workers</caption>
          <thead>
            <tr>
              {[
                'worker',
                'state',
                'host:pid',
                'version',
                'active',
                'device',
                'models',
                'up',
                'last beat',
                'tasks/s',
                'ok',
                'failed',
                'metrics',
              ].map((h) => (
                <th scope="col" key={h}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {workers.length === 0 && (
              <tr>
                <td colSpan={13}>No live workers.</td>
              </tr>
            )}
            {workers.map((w) => (
              <WorkerLine worker={w} key={w.id} />
            ))}
          </tbody>
        </table>
      </div>
      {open && <WorkerDetail worker={open} />}
    </section>
  )
}

function WorkerLine({ worker: w }: { worker: WorkerRow }) {
  return (
    <tr data-worker={w.id} class={w.late ? 'late' : undefined}>
      <th scope="row">
        <a href={href('workers', { id: w.id })}>{w.id}</a>
      </th>
      <td>
        <Badge
          text={w.state}
          tone={w.state === 'running' ? 'ok' : w.state === 'failed' ? 'bad' : 'warn'}
        />{' '}
        {w.late && <Badge text="late" tone="bad" />}
      </td>
      <td>
        {w.host}:{w.pid}
      </td>
      <td>{w.version}</td>
      <td>
        {w.active_tasks}
        {w.max_tasks !== undefined ? `/${w.max_tasks}` : ''}
      </td>
      <td>{w.devices?.join(', ') || '–'}</td>
      <td>{w.models.join(', ') || '–'}</td>
      <td>{duration(w.uptime_s)}</td>
      <td>{(w.beat_age_ms / 1000).toFixed(1)} s ago</td>
      <td>{rate(w.rates?.tasks)}</td>
      <td>{count(w.counters?.succeeded)}</td>
      <td>{count(w.counters?.failed)}</td>
      <td>
        {w.scrape.ok ? (
          <a href={`${w.metrics_url}/metrics`} target="_blank" rel="noopener noreferrer">
            /metrics
          </a>
        ) : (
          <Badge text={w.scrape.error} tone="warn" />
        )}
      </td>
    </tr>
  )
}

function WorkerDetail({ worker: w }: { worker: WorkerRow }) {
  const errors = Object.entries(w.errors_by_code ?? {}).filter(([, n]) => n > 0)
  return (
    <section class="panel" aria-labelledby="worker-detail-title">
      <h3 id="worker-detail-title">Worker {w.id}</h3>
      <dl class="facts">
        <dt>metrics</dt>
        <dd>
          {w.metrics_url ? (
            <a href={`${w.metrics_url}/metrics`} target="_blank" rel="noopener noreferrer">
              {w.metrics_url}/metrics
            </a>
          ) : (
            'not announced'
          )}
        </dd>
        <dt>started</dt>
        <dd>{w.started_at}</dd>
        <dt>heartbeat</dt>
        <dd>
          every {w.interval_ms} ms, gone after {w.ttl_ms} ms of silence
        </dd>
        <dt>throughput</dt>
        <dd>
          {rate(w.rates?.tasks)} tasks/s, {rate(w.rates?.items)} items/s, {rate(w.rates?.tokens)}{' '}
          tokens/s
        </dd>
        <dt>since start</dt>
        <dd>
          {count(w.counters?.succeeded)} succeeded, {count(w.counters?.failed)} failed,{' '}
          {count(w.counters?.retries)} retries, {count(w.counters?.dead_letters)} dead letters
        </dd>
        <dt>memory</dt>
        <dd>
          {bytes(w.rss_bytes)} resident; CPU{' '}
          {w.cpu_seconds === undefined ? '–' : `${w.cpu_seconds.toFixed(1)} s`}
        </dd>
        <dt>lag</dt>
        <dd>
          {w.lag?.length
            ? w.lag.map((p) => `partition ${p.partition}: ${p.messages}`).join(', ')
            : '–'}
        </dd>
        <dt>models</dt>
        <dd>
          {w.model_memory?.length
            ? w.model_memory.map((m) => `${m.model} (${bytes(m.memoryBytes)})`).join(', ')
            : '–'}
        </dd>
        <dt>failures</dt>
        <dd>
          {errors.length
            ? errors.map(([code, n]) => (
                <a key={code} class="chip" href={href('dead-letters', { code, state: 'all' })}>
                  {code} ×{n}
                </a>
              ))
            : 'none'}
        </dd>
      </dl>
    </section>
  )
}
