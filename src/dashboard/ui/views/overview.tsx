/** Overview: throughput and errors, latency by stage, lag, task counts, dead letters. */
import type { CountsWindowView, Snapshot } from '../../api-types.ts'
import { count, percent, rate, seconds } from '../format.ts'
import { href } from '../route.ts'
import { Chart } from './chart.tsx'
import { isUnavailable, Missing, Notice, Tile } from './parts.tsx'

const colors = {
  blue: '#0b5cad',
  red: '#b3261e',
  green: '#1a7f37',
  purple: '#6639ba',
  orange: '#9a4a00',
}

export function OverviewView({ snapshot }: { snapshot: Snapshot | undefined }) {
  if (!snapshot) return <Notice>Waiting for the first reading of the cluster…</Notice>
  const { rates, totals, series, latency } = snapshot
  const workers = isUnavailable(snapshot.workers) ? undefined : snapshot.workers
  const late = workers?.filter((w) => w.late).length ?? 0
  const finished = totals.succeeded + totals.failed
  const lag = isUnavailable(snapshot.lag) ? undefined : snapshot.lag
  const dlq = isUnavailable(snapshot.dead_letters) ? undefined : snapshot.dead_letters
  return (
    <section aria-labelledby="overview-title">
      <h2 id="overview-title">Overview</h2>
      {snapshot.notes.map((n) => (
        <Notice key={n}>{n}</Notice>
      ))}
      <div class="tiles">
        <Tile
          id="tile-workers"
          data={{ workers: workers?.length }}
          label="Live workers"
          value={workers ? String(workers.length) : '–'}
          detail={late ? `${late} late` : snapshot.discovery}
        />
        <Tile
          id="tile-tasks-rate"
          data={{ rate: rates?.tasks, finished }}
          label="Tasks/s"
          value={rate(rates?.tasks)}
          detail={`${count(finished)} finished`}
        />
        <Tile
          id="tile-items-rate"
          data={{ rate: rates?.items, total: totals.items }}
          label="Items/s"
          value={rate(rates?.items)}
          detail={`${count(totals.items)} embedded`}
        />
        <Tile
          id="tile-tokens-rate"
          data={{ rate: rates?.tokens, total: totals.tokens }}
          label="Tokens/s"
          value={rate(rates?.tokens)}
          detail={`${count(totals.tokens)} embedded`}
        />
        <Tile
          id="tile-errors"
          data={{ rate: rates?.errors, failed: totals.failed }}
          label="Errors/s"
          value={rate(rates?.errors)}
          detail={`${count(totals.failed)} failed (${percent(totals.failed, finished)})`}
        />
        <Tile
          id="tile-lag"
          data={{ lag: lag?.total }}
          label="Lag"
          value={lag ? count(lag.total) : '–'}
          detail={lag ? 'messages not yet done' : 'unknown'}
        />
        <Tile
          id="tile-dlq"
          data={{ pending: dlq?.pending }}
          label="Dead letters pending"
          value={dlq ? count(dlq.pending) : '–'}
          detail={dlq ? `${count(dlq.total)} kept` : 'unavailable'}
        />
      </div>
      <p class="hint">Totals are summed over the live workers' /metrics, since each started.</p>
      <div class="charts">
        <Chart
          title="Tasks per second"
          t={series.t}
          format={rate}
          lines={[
            { label: 'tasks/s', values: series.tasks, color: colors.blue },
            { label: 'errors/s', values: series.errors, color: colors.red, dash: true },
          ]}
        />
        <Chart
          title="Items per second"
          t={series.t}
          format={rate}
          lines={[{ label: 'items/s', values: series.items, color: colors.green }]}
        />
        <Chart
          title="Tokens per second"
          t={series.t}
          format={rate}
          lines={[{ label: 'tokens/s', values: series.tokens, color: colors.purple }]}
        />
        <Chart
          title={`Task latency p95 (over ${snapshot.latency_window_s} s)`}
          t={series.t}
          format={seconds}
          lines={[
            { label: 'queue', values: series.p95.queue, color: colors.orange },
            { label: 'inference', values: series.p95.inference, color: colors.blue },
            { label: 'store', values: series.p95.store, color: colors.green },
          ]}
        />
      </div>
      <div class="columns">
        <LatencyTable latency={latency} window={snapshot.latency_window_s} />
        <LagTable snapshot={snapshot} />
        <CountsTable snapshot={snapshot} />
      </div>
    </section>
  )
}

function LatencyTable({ latency, window }: { latency: Snapshot['latency']; window: number }) {
  return (
    <table class="data" id="latency">
      <caption>Task latency, last {window} s</caption>
      <thead>
        <tr>
          <th scope="col">stage</th>
          <th scope="col">p50</th>
          <th scope="col">p95</th>
        </tr>
      </thead>
      <tbody>
        {(['queue', 'inference', 'store', 'total'] as const).map((s) => (
          <tr key={s}>
            <th scope="row">{s === 'total' ? 'started → finished' : s}</th>
            <td>{seconds(latency[s].p50)}</td>
            <td>{seconds(latency[s].p95)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function LagTable({ snapshot }: { snapshot: Snapshot }) {
  if (isUnavailable(snapshot.lag)) return <Missing what="Lag" value={snapshot.lag} />
  const { lag } = snapshot
  return (
    <table class="data" id="lag">
      <caption>Consumer lag: {lag.source}</caption>
      <thead>
        <tr>
          <th scope="col">partition</th>
          <th scope="col">lag</th>
          <th scope="col">end</th>
          <th scope="col">committed</th>
        </tr>
      </thead>
      <tbody>
        {lag.partitions.map((p) => (
          <tr key={p.partition}>
            <th scope="row">{p.partition}</th>
            <td data-testid={`lag-${p.partition}`}>{count(p.lag)}</td>
            <td>{p.end === undefined ? '–' : count(p.end)}</td>
            <td>
              {p.committed === undefined ? '–' : p.committed === null ? 'none' : count(p.committed)}
            </td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row">total</th>
          <td data-testid="lag-total">{count(lag.total)}</td>
          <td />
          <td />
        </tr>
      </tfoot>
    </table>
  )
}

function CountsTable({ snapshot }: { snapshot: Snapshot }) {
  const { counts } = snapshot
  if (isUnavailable(counts)) return <Missing what="Task counts" value={counts} />
  const { window } = counts
  return (
    <div>
      <table class="data" id="counts" data-window-ms={window?.window_ms}>
        <caption>
          Tasks by state{window && `, last ${span(window.window_ms / 1000)}`} (
          <a href={href('tasks')}>look one up</a>)
        </caption>
        <tbody>
          {Object.entries(counts.states).map(([state, n]) => (
            <tr key={state}>
              <th scope="row">{state}</th>
              <td>{count(n)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {window && <WindowNote window={window} at={snapshot.at} />}
    </div>
  )
}

/** What Kafka's counts cover: the window, the cap, and whether either cut them short. */
function WindowNote({ window, at }: { window: CountsWindowView; at: number }) {
  const cut =
    window.evicted > 0 && window.oldest !== undefined && window.oldest > at - window.window_ms
  return (
    <p class="hint" id="counts-window">
      Tasks with a status record in the last {span(window.window_ms / 1000)}, from a tail of the
      status topic; at most {count(window.max_tasks)} kept (now {count(window.tasks)}).
      {!window.caught_up && ' Still reading the topic up to its end: the counts are growing.'}
      {cut &&
        ` The cap was reached: ${count(window.evicted)} older task(s) dropped, so the counts cover only the last ${span((at - window.oldest) / 1000)}.`}
      {window.error && ` Not reading now: ${window.error}.`}
    </p>
  )
}

/** A window as people say it: `1 hour`, `15 minutes`, `90 seconds`. */
function span(s: number): string {
  if (s >= 3600 && s % 3600 === 0) return s === 3600 ? 'hour' : `${s / 3600} hours`
  if (s >= 60) return `${Math.round(s / 60)} minutes`
  return `${Math.round(s)} seconds`
}
