/**
 * Reads the local queue's files the way an operator would (`jq` on status.log and the dlq-*.log
 * segments), so tests can check what the CLI reports against what is on disk.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface FoldedTask {
  /** State of the last status record of the task, in log order. */
  state: string
  /** How many `started` records the task has: more than 1 means it was processed again. */
  started: number
  /** Vector ids of its last result record. */
  resultIds: string[]
  /** Error of its last status record, if that record had one. */
  error?: { code: string; message: string }
}

export interface FoldedStatus {
  readonly tasks: Map<string, FoldedTask>
  /** Lines that were not a JSON record (a crash can tear the last one). */
  readonly damaged: number
}

interface StatusLine {
  task_id?: unknown
  status?: { state?: unknown; error?: { code: string; message: string } }
  result?: { ids?: unknown }
}

export async function foldStatusLog(queueDir: string): Promise<FoldedStatus> {
  const tasks = new Map<string, FoldedTask>()
  let damaged = 0
  for (const line of await readLines(join(queueDir, 'status.log'))) {
    const record = parse(line) as StatusLine | undefined
    if (typeof record?.task_id !== 'string') {
      damaged++
      continue
    }
    let task = tasks.get(record.task_id)
    if (!task) tasks.set(record.task_id, (task = { state: '', started: 0, resultIds: [] }))
    if (typeof record.status?.state === 'string') {
      task.state = record.status.state
      task.error = record.status.error
      if (task.state === 'started') task.started++
    }
    if (Array.isArray(record.result?.ids)) task.resultIds = record.result.ids as string[]
  }
  return { tasks, damaged }
}

export function countStates(folded: FoldedStatus): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const { state } of folded.tasks.values()) counts[state] = (counts[state] ?? 0) + 1
  return counts
}

export interface DeadLetterLine {
  readonly task_id: string
  readonly error: { readonly code: string; readonly message: string; readonly class: string }
  readonly origin: { readonly topic: string; readonly partition: number; readonly offset: number }
}

/** Dead letters of all segments of the dead-letter log (`dlq-<base offset>.log`), in order. */
export async function readDeadLetters(queueDir: string): Promise<DeadLetterLine[]> {
  const lines = await segmentLines(queueDir, 'dlq')
  return lines.map((line) => JSON.parse(line) as DeadLetterLine)
}

/** Messages in the task log's segments (`tasks-<base offset>.log`, one line each). */
export async function countQueuedMessages(queueDir: string): Promise<number> {
  return (await segmentLines(queueDir, 'tasks')).length
}

async function segmentLines(queueDir: string, prefix: string): Promise<string[]> {
  const names = await readdir(queueDir).catch(() => [])
  const segments = names.filter((n) => new RegExp(`^${prefix}-\\d{20}\\.log$`).test(n)).sort()
  const lines: string[] = []
  for (const name of segments) lines.push(...(await readLines(join(queueDir, name))))
  return lines
}

async function readLines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return ''
    throw err
  })
  return text.split('\n').filter((line) => line.trim() !== '')
}

function parse(line: string): unknown {
  try {
    return JSON.parse(line) as unknown
  } catch {
    return undefined
  }
}
