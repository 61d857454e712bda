import type { Command } from 'commander'
import { openStatusView } from '../main.ts'
import { taskStates } from '../protocol/report.ts'
import type { StatusView, TaskRecord } from '../reporters/reporter.ts'
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
    .action(async (taskId: string | undefined, opts: { timeout: string }, command: Command) => {
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
        const record = await view.task(taskId, { signal })
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
  return lines.join('\n')
}
