/**
 * `vectorize submit`: task messages into the configured source. All or nothing by default: every
 * line is validated before any is sent, and one rejected line means nothing is sent (exit 65), so
 * a script that fixes the file and runs it again never duplicates tasks (issue 10). `--partial`
 * sends the valid lines and lists the others; `--raw` sends every line unvalidated. Input from
 * stdin is spooled to a temporary file for the second pass.
 */
import type { Command } from 'commander'
import { once, setMaxListeners } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import { parseTask } from '../protocol/parse.ts'
import { openPublisher, openReporter } from '../main.ts'
import { sourceKind } from '../sources/index.ts'
import { toVectorizeError, VectorizeError } from '../worker/errors.ts'
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

interface SubmitOptions {
  readonly raw?: boolean
  readonly partial?: boolean
}

type Outcome = { submitted: number; rejected: Rejected[]; sent: boolean }

export function registerSubmit(program: Command): void {
  program
    .command('submit')
    .argument('[file]', 'JSON Lines of task messages; - or nothing reads stdin')
    .description(
      'enqueue task messages (protocol v1) into the configured task source; nothing is sent when a line is invalid',
    )
    .option('--partial', 'send the valid lines even when some are rejected (exit 65 all the same)')
    .option('--raw', 'enqueue lines as they are, without validating them first')
    .action(async (file: string | undefined, opts: SubmitOptions, command: Command) => {
      const ctx = await commandContext(command, { quietLogs: true })
      try {
        const outcome = await submit(ctx, file, opts)
        const { submitted, rejected } = outcome
        ctx.print({ submitted, rejected }, () => summary(outcome))
        process.exitCode = rejected.length > 0 ? exitCodes.dataError : exitCodes.ok
      } finally {
        await ctx.resources.close()
      }
    })
}

async function submit(ctx: CommandContext, file: string | undefined, opts: SubmitOptions) {
  if (opts.raw === true || opts.partial === true) return send(ctx, file, opts.raw === true)
  const spool = file && file !== '-' ? undefined : await mkdtemp(join(tmpdir(), 'vectorize-'))
  try {
    const input = spool ? join(spool, 'stdin.jsonl') : file
    const rejected = await validate(ctx, file, input)
    if (rejected.length > 0) return { submitted: 0, rejected, sent: false }
    return await send(ctx, input, false)
  } finally {
    if (spool) await rm(spool, { recursive: true, force: true })
  }
}

/**
 * Room a Kafka record needs besides its value: the key (a task id, at most 512 bytes) and
 * librdkafka's framing. A line whose record would be over `kafka.max_message_bytes` is rejected
 * here rather than refused by the producer halfway through the send.
 */
const recordOverheadBytes = 1024

/** First pass: every rejected line; a copy of stdin goes to `copyTo` for the second pass. */
async function validate(ctx: CommandContext, file: string | undefined, copyTo?: string) {
  const rejected: Rejected[] = []
  const copy = copyTo !== undefined && copyTo !== file ? createWriteStream(copyTo) : undefined
  copy?.on('error', () => undefined) // reported by `once` and `finished` below
  for await (const { line, text } of readLines(file, { keepBlank: copy !== undefined })) {
    if (copy && !copy.write(`${text}\n`)) await once(copy, 'drain')
    if (text.trim() === '') continue
    try {
      checkLine(ctx, encoder.encode(text))
    } catch (err) {
      const e = toVectorizeError(err)
      rejected.push({ line, code: e.code, message: e.message })
    }
  }
  if (copy) await finished(copy.end())
  return rejected
}

/** Sends the valid lines (all of them with `raw`), a chunk at a time. */
async function send(ctx: CommandContext, file: string | undefined, raw: boolean): Promise<Outcome> {
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
      const taskId = raw ? undefined : checkLine(ctx, value)
      chunk.push({ value, ...(taskId && { taskId }) })
    } catch (err) {
      const e = toVectorizeError(err)
      rejected.push({ line, code: e.code, message: e.message })
    }
    if (chunk.length >= CHUNK) await flush()
  }
  if (chunk.length > 0) await flush()
  return { submitted, rejected, sent: true }
}

function summary({ submitted, rejected, sent }: Outcome): string {
  const lines = [`submitted ${submitted} task${submitted === 1 ? '' : 's'}`]
  for (const r of rejected.slice(0, 20)) lines.push(`line ${r.line}: ${r.code}: ${r.message}`)
  if (rejected.length > 20) lines.push(`… and ${rejected.length - 20} more rejected lines`)
  if (rejected.length > 0 && !sent) {
    lines.push(
      `rejected ${rejected.length} invalid line(s); nothing was sent. Fix or remove them and submit ` +
        `again, or use --partial to send the valid lines (--raw sends every line unvalidated)`,
    )
  } else if (rejected.length > 0) {
    lines.push(`rejected ${rejected.length} invalid line(s); the valid ones were sent (--partial)`)
  }
  return lines.join('\n')
}

/** A valid task that fits one record of the source, or a VectorizeError saying why not. */
function checkLine(ctx: CommandContext, bytes: Uint8Array): string {
  const taskId = parseTask(bytes, ctx.config.processing).task_id
  if (sourceKind(ctx.config) !== 'kafka') return taskId
  const maxBytes = ctx.config.kafka.max_message_bytes - recordOverheadBytes
  if (bytes.length <= maxBytes) return taskId
  throw new VectorizeError(
    'record_too_large',
    `line is ${bytes.length} bytes; a Kafka record may hold ${maxBytes} (kafka.max_message_bytes ` +
      `less ${recordOverheadBytes} for its key and framing)`,
  )
}
