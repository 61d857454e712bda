import type { Command } from 'commander'
import { setMaxListeners } from 'node:events'
import { parseTask } from '../protocol/parse.ts'
import { openPublisher, openReporter } from '../main.ts'
import { toVectorizeError } from '../worker/errors.ts'
import { commandContext, type CommandContext } from './context.ts'
import { exitCodes } from './exit-codes.ts'
import { readLines } from './lines.ts'

const CHUNK = 1000
const encoder = new TextEncoder()

interface Rejected {
  readonly line: number
  readonly code: string
  readonly message: string
}

export function registerSubmit(program: Command): void {
  program
    .command('submit')
    .argument('[file]', 'JSON Lines of task messages; - or nothing reads stdin')
    .description('enqueue task messages (protocol v1) into the configured task source')
    .option('--raw', 'enqueue lines as they are, without validating them first')
    .action(async (file: string | undefined, opts: { raw?: boolean }, command: Command) => {
      const ctx = await commandContext(command, { quietLogs: true })
      try {
        const { submitted, rejected } = await submit(ctx, file, opts.raw === true)
        ctx.print({ submitted, rejected }, () => summary(submitted, rejected))
        process.exitCode = rejected.length > 0 ? exitCodes.dataError : exitCodes.ok
      } finally {
        await ctx.resources.close()
      }
    })
}

async function submit(ctx: CommandContext, file: string | undefined, raw: boolean) {
  const publisher = await openPublisher(ctx)
  const reporter = await openReporter(ctx)
  const signal = new AbortController().signal
  setMaxListeners(0, signal) // up to 1,000 sends in flight listen on it
  const rejected: Rejected[] = []
  let submitted = 0
  let chunk: { value: Uint8Array; taskId?: string }[] = []
  const flush = async () => {
    const at = new Date().toISOString()
    const worker_id = ctx.config.worker.id
    // queued first: a worker may pick the task up (and report `started`) the moment it is appended
    await Promise.all(
      chunk.flatMap((m) =>
        m.taskId
          ? [reporter.status({ task_id: m.taskId, state: 'queued', worker_id, at }, { signal })]
          : [],
      ),
    )
    submitted += await publisher.publish(
      chunk.map((m) => m.value),
      { signal },
    )
    chunk = []
  }
  for await (const { line, text } of readLines(file)) {
    const value = encoder.encode(text)
    try {
      const taskId = raw ? undefined : parseTask(value, ctx.config.processing).task_id
      chunk.push({ value, ...(taskId && { taskId }) })
    } catch (err) {
      const e = toVectorizeError(err)
      rejected.push({ line, code: e.code, message: e.message })
    }
    if (chunk.length >= CHUNK) await flush()
  }
  if (chunk.length > 0) await flush()
  return { submitted, rejected }
}

function summary(submitted: number, rejected: readonly Rejected[]): string {
  const lines = [`submitted ${submitted} task${submitted === 1 ? '' : 's'}`]
  for (const r of rejected.slice(0, 20)) lines.push(`line ${r.line}: ${r.code}: ${r.message}`)
  if (rejected.length > 20) lines.push(`… and ${rejected.length - 20} more rejected lines`)
  if (rejected.length > 0)
    lines.push(`rejected ${rejected.length} invalid line(s); use --raw to enqueue them anyway`)
  return lines.join('\n')
}
