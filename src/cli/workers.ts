import type { Command } from 'commander'
import { listWorkers, type WorkerRecord } from '../observability/heartbeat.ts'
import { VectorizeError } from '../worker/errors.ts'
import { table } from './collections.ts'
import { commandContext } from './context.ts'

/** How long `vectorize workers` waits for Redis before exiting 69 (unavailable). */
const REDIS_TIMEOUT_MS = 5_000

export function registerWorkers(program: Command): void {
  program
    .command('workers')
    .description('live workers of the cluster, from their Redis heartbeats (needs redis.url)')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = await commandContext(command, { quietLogs: true })
      const { url, key_prefix: keyPrefix } = ctx.config.redis
      if (url === '') {
        throw new VectorizeError(
          'config_invalid',
          'redis.url is not set: workers report to Redis only when it is ' +
            '(set VECTORIZE_WORKER_REDIS_URL, redis.url in the YAML, or --set redis.url=redis://host:6379)',
        )
      }
      const workers = await listWorkers({ url, keyPrefix, timeoutMs: REDIS_TIMEOUT_MS })
      workers.sort((a, b) => a.id.localeCompare(b.id))
      ctx.print(workers, () => render(workers, Date.now()))
    })
}

function render(workers: readonly WorkerRecord[], now: number): string {
  if (workers.length === 0) return 'no live workers'
  const rows = workers.map((w) => [
    w.id,
    w.state,
    `${w.host}:${w.pid}`,
    w.version,
    String(w.active_tasks),
    count(w.counters.succeeded),
    count(w.counters.failed),
    count(w.counters.retries),
    ago(now - Date.parse(w.started_at)),
    `${ago(now - Date.parse(w.updated_at))} ago`,
    w.models.join(',') || '-',
  ])
  const header = ['worker', 'state', 'host:pid', 'version', 'active', 'ok', 'failed', 'retries']
  return table([...header, 'up', 'beat', 'models'], rows)
}

const count = (n: number | undefined) => (n === undefined ? '-' : String(n))

function ago(ms: number): string {
  if (!Number.isFinite(ms)) return '?'
  const s = Math.max(0, ms) / 1000
  if (s < 60) return `${s.toFixed(1)}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}
