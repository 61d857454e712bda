import type { Command } from 'commander'
import { openStatusView } from '../main.ts'
import { taskStates } from '../protocol/report.ts'
import type { StatusView, TaskHistory, TaskRecord } from '../reporters/reporter.ts'
import { historyLimits } from '../reporters/task-history.ts'
import { VectorizeError } from '../worker/errors.ts'
import { commandContext } from './context.ts'
import { exitCodes } from './exit-codes.ts'

export function registerStatus(program: Command): void {
  program
    .command('status')
    .argument('[task-id]', 'one task; without it, counts per state')
    .description(
      'the state of one task, or how many tasks are in each state (Kafka: read from the status topic)',
    )
    .option(
      '--timeout <ms>',
      'Kafka: stop reading the status topic after this long and answer from what was read',
      '30000',
    )
    .option('--history', "with a task id: also print the task's status records, oldest first")
    .action(async (taskId: string | undefined, opts: StatusOptions, command: Command) => {
      const ctx = await commandContext(command, { quietLogs: true })
      try {
        const view = await openStatusView(ctx)
        const signal = AbortSignal.timeout(timeoutOf(opts.timeout))
        if (taskId === undefined) {
          const counts = await view.counts({ signal })
          const scanned = view.scanned
          ctx.print(scanned ? { ...counts, scanned } : counts, () =>
            [...taskStates.map((s) => `${s.padEnd(10)} ${counts[s]}`), ...scanLines(view)].join(
              '\n',
            ),
          )
          return
        }
        const record = await view.task(taskId, { signal, history: opts.history === true })
        if (!record) {
          const where = view.scanned ? scanLines(view).join('; ') : `in ${ctx.config.queue.dir}`
          process.stderr.write(`no task ${JSON.stringify(taskId)} ${where}\n`)
          process.exitCode = exitCodes.notFound
          return
        }
        const scanned = view.scanned
        ctx.print(scanned ? { ...record, scanned } : record, () =>
          [render(record), ...scanLines(view)].join('\n'),
        )
      } finally {
        await ctx.resources.close()
      }
    })
}

interface StatusOptions {
  readonly timeout: string
  readonly history?: boolean
}

function timeoutOf(text: string): number {
  const ms = Number(text)
  if (!Number.isInteger(ms) || ms <= 0) {
    throw new VectorizeError('invalid_argument', `--timeout must be a number of ms, got ${text}`)
  }
  return ms
}

/** What a scanning view read: the user judges a partial answer by it. */
function scanLines(view: StatusView): string[] {
  return (view.scanned ?? []).map((s) => {
    const how = s.complete
      ? 'to its end'
      : `and stopped at --timeout: the answer is partial, later records may change it`
    return `scanned   topic ${s.topic}: ${s.records}/${s.total} records of ${s.partitions} partition(s) in ${s.ms} ms, ${how}`
  })
}

function render(r: TaskRecord): string {
  const lines = [
    `task      ${r.task_id}`,
    `state     ${r.state}`,
    `updated   ${r.updated_at} by ${r.worker_id}`,
    `attempts  ${r.attempts}`,
  ]
  if (r.progress) lines.push(`progress  ${r.progress.done}/${r.progress.total}`)
  if (r.error) lines.push(`error     ${r.error.code}: ${r.error.message}`)
  if (r.result) {
    const { collection, model, counts, timings_ms: t } = r.result
    lines.push(
      `result    ${counts.vectors} vector(s) in ${collection} (${model}), ${counts.tokens} tokens, ${counts.truncated} truncated`,
    )
    lines.push(
      `timings   queue ${t.queue.toFixed(0)} ms, inference ${t.inference.toFixed(0)} ms, store ${t.store.toFixed(0)} ms, total ${t.total.toFixed(0)} ms`,
    )
  }
  if (r.history) lines.push(...historyLines(r.history))
  return lines.join('\n')
}

/** One line per status record, oldest first, and what the history cannot show. */
function historyLines(history: TaskHistory): string[] {
  const { records, compacted, omitted } = history
  const lines = [`history   ${records.length} status record(s), oldest first`]
  records.forEach((h, i) => {
    if (omitted > 0 && i === historyLimits.head) lines.push(`  … ${omitted} record(s) left out`)
    const parts = [h.at, h.state.padEnd(9), h.worker_id]
    if (h.progress) parts.push(`${h.progress.done}/${h.progress.total}`)
    if (h.error) parts.push(`${h.error.code}: ${h.error.message}`)
    if (h.compacted_attempts !== undefined)
      parts.push(`(compacted: stands for the earlier records, ${h.compacted_attempts} attempt(s))`)
    if (h.stale) parts.push('(stamped before the state it follows: ignored)')
    lines.push(`  ${parts.join('  ')}`)
  })
  if (compacted) {
    lines.push(
      '  older records of this task were compacted away (status.log keeps its latest state and attempts)',
    )
  }
  return lines
}
