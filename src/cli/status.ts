import type { Command } from 'commander'
import { openStatusView } from '../main.ts'
import { taskStates } from '../protocol/report.ts'
import type { TaskRecord } from '../reporters/reporter.ts'
import { commandContext } from './context.ts'
import { exitCodes } from './exit-codes.ts'

export function registerStatus(program: Command): void {
  program
    .command('status')
    .argument('[task-id]', 'one task; without it, counts per state')
    .description('the state of one task, or how many tasks are in each state')
    .action(async (taskId: string | undefined, _opts: unknown, command: Command) => {
      const ctx = await commandContext(command, { quietLogs: true })
      try {
        const view = await openStatusView(ctx)
        const signal = AbortSignal.timeout(600_000)
        if (taskId === undefined) {
          const counts = await view.counts({ signal })
          ctx.print(counts, () => taskStates.map((s) => `${s.padEnd(10)} ${counts[s]}`).join('\n'))
          return
        }
        const record = await view.task(taskId, { signal })
        if (!record) {
          process.stderr.write(`no task ${JSON.stringify(taskId)} in ${ctx.config.queue.dir}\n`)
          process.exitCode = exitCodes.notFound
          return
        }
        ctx.print(record, () => render(record))
      } finally {
        await ctx.resources.close()
      }
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
