/**
 * `vectorize queue stats|compact`: the embedded queue's disk use, and its upkeep on demand (what a
 * worker does every `queue.maintenance_interval_ms`, with the active segments rolled first). Safe
 * while a worker, `submit` and `status` run on the same directory.
 */
import type { Command } from 'commander'
import type { Config } from '../config/schema.ts'
import type { Logger } from '../observability/logger.ts'
import { reportSettings } from '../reporters/index.ts'
import type { ReportStats, ReportUpkeep } from '../reporters/local-maintenance.ts'
import { maintainReports, reportStats } from '../reporters/local-maintenance.ts'
import { sourceKind, taskLogSettings } from '../sources/index.ts'
import type { TaskLogStats, TaskLogUpkeep } from '../sources/local-maintenance.ts'
import { maintainTaskLog, taskLogStats } from '../sources/local-maintenance.ts'
import { taskStates } from '../protocol/report.ts'
import { VectorizeError } from '../worker/errors.ts'
import { commandContext } from './context.ts'

export interface QueueStats extends ReportStats {
  readonly dir: string
  readonly tasks: TaskLogStats
  /** Bytes of the task log, status log and dead-letter log together. */
  readonly bytes: number
}

export interface QueueCompaction {
  readonly tasks: TaskLogUpkeep
  readonly reports: ReportUpkeep
  readonly before: QueueStats
  readonly after: QueueStats
}

export function registerQueue(program: Command): void {
  const queue = program
    .command('queue')
    .description('the embedded queue (queue.dir): disk use, and compaction on demand')
  queue
    .command('stats')
    .description('segments, bytes, offsets, committed offset, lag, status entries and dead letters')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = await commandContext(command, { quietLogs: true })
      const stats = await queueStats(embeddedQueue(ctx.config))
      ctx.print(stats, () => renderStats(stats))
    })
  queue
    .command('compact')
    .description('roll the active segments, apply retention and compact status.log now')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = await commandContext(command, { quietLogs: true })
      const done = await compactQueue(embeddedQueue(ctx.config), ctx.logger)
      ctx.print(done, () => renderCompaction(done))
    })
}

function embeddedQueue(config: Config): Config['queue'] {
  if (sourceKind(config) !== 'local') {
    throw new VectorizeError(
      'config_invalid',
      `vectorize queue works on the embedded queue, but the task source is Kafka; ` +
        `set source.kind=local to look at ${config.queue.dir}`,
    )
  }
  return config.queue
}

export async function queueStats(queue: Config['queue']): Promise<QueueStats> {
  const tasks = await taskLogStats(queue.dir)
  const reports = await reportStats(queue.dir)
  const bytes = tasks.bytes + reports.status.bytes + reports.dead_letters.bytes
  return { dir: queue.dir, tasks, ...reports, bytes }
}

export async function compactQueue(
  queue: Config['queue'],
  logger: Logger,
): Promise<QueueCompaction> {
  const before = await queueStats(queue)
  const upkeep = { force: true, now: Date.now(), logger }
  const tasks = await maintainTaskLog(queue.dir, taskLogSettings(queue), upkeep)
  const reports = await maintainReports(queue.dir, reportSettings(queue), upkeep)
  return { tasks, reports, before, after: await queueStats(queue) }
}

function renderStats(s: QueueStats): string {
  const t = s.tasks
  const d = s.dead_letters
  const states = taskStates.map((state) => `${state} ${n(s.status.states[state])}`).join(', ')
  return [
    `queue         ${s.dir}`,
    `tasks         ${plural(t.segments, 'segment')}, ${mb(t.bytes)}, offsets ${range(t)}`,
    `              committed ${n(t.committed_offset)}, lag ${n(t.lag)}`,
    `status        ${mb(s.status.bytes)}, ${plural(s.status.records, 'record')}, ${plural(s.status.tasks, 'task')} (${states})`,
    `dead letters  ${plural(d.segments, 'segment')}, ${mb(d.bytes)}, ${plural(d.count, 'dead letter')}, offsets ${range(d)}`,
    `total         ${mb(s.bytes)}`,
  ].join('\n')
}

function renderCompaction(c: QueueCompaction): string {
  const { tasks, reports } = c
  const dl = reports.deadLetters
  const status = reports.status
  return [
    `tasks         ${tasks.rolled ? 'rolled, ' : ''}deleted ${plural(tasks.deletedSegments, 'segment')} (${mb(tasks.deletedBytes)})`,
    `dead letters  ${dl.rolled ? 'rolled, ' : ''}deleted ${plural(dl.deletedSegments, 'segment')} (${mb(dl.deletedBytes)})`,
    status
      ? `status        ${mb(status.bytesBefore)} → ${mb(status.bytesAfter)}, ${plural(status.tasks, 'task')} kept, ${n(status.dropped)} dropped by retention`
      : `status        nothing to compact`,
    `total         ${mb(c.before.bytes)} → ${mb(c.after.bytes)}`,
  ].join('\n')
}

function range(log: { oldest_offset: number | null; newest_offset: number | null }): string {
  if (log.oldest_offset === null || log.newest_offset === null) return 'none'
  return `${n(log.oldest_offset)}–${n(log.newest_offset)}`
}

const int = new Intl.NumberFormat('en-US')
const n = (value: number): string => int.format(value)
const plural = (count: number, noun: string) => `${n(count)} ${noun}${count === 1 ? '' : 's'}`
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1)} MB`
