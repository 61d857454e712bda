/**
 * Turns files into task messages for `vectorize ingest`: JSON Lines (task messages, or items with
 * `text`) and plain text/Markdown files (one text task each). Ids derive from the path, so
 * ingesting the same files again overwrites instead of duplicating.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { dirname, extname, join, relative, resolve } from 'node:path'
import type { TaskMessage } from '../protocol/task.ts'
import { readLines } from './lines.ts'

export interface IngestPlan {
  readonly messages: string[]
  files: number
  readonly skipped: Map<string, number>
}

const textExtensions = new Set(['.txt', '.md', '.markdown'])
const lineExtensions = new Set(['.jsonl', '.ndjson'])

/**
 * Ids are relative to what the user named (`ingest docs` → `docs/a/b.md`), not to the working
 * directory, so the same folder ingested from anywhere gets the same ids.
 */
export async function planIngest(
  paths: readonly string[],
  cwd: string,
  maxTextBytes: number,
): Promise<IngestPlan> {
  const plan: IngestPlan = { messages: [], files: 0, skipped: new Map() }
  for (const path of paths) {
    const root = resolve(cwd, path)
    const base = dirname(root)
    for (const file of await listFiles(root))
      await addFile(plan, file, relative(base, file), maxTextBytes)
  }
  return plan
}

async function listFiles(path: string): Promise<string[]> {
  const info = await stat(path)
  if (!info.isDirectory()) return [path]
  const entries = await readdir(path, { withFileTypes: true })
  const nested = await Promise.all(
    entries.filter((e) => !e.name.startsWith('.')).map((e) => listFiles(join(path, e.name))),
  )
  return nested.flat().sort()
}

async function addFile(
  plan: IngestPlan,
  file: string,
  rel: string,
  maxTextBytes: number,
): Promise<void> {
  const ext = extname(file).toLowerCase()
  if (lineExtensions.has(ext)) {
    plan.files++
    for await (const { line, text } of readLines(file))
      plan.messages.push(fromLine(text, rel, line))
  } else if (textExtensions.has(ext)) {
    const content = await readFile(file, 'utf8')
    if (Buffer.byteLength(content) > maxTextBytes)
      return skip(plan, `${ext} over processing.max_text_bytes (document tasks will chunk them)`)
    plan.files++
    plan.messages.push(
      JSON.stringify(
        textTask(`ingest:${rel}`, rel, content, { source: rel, format: ext.slice(1) }),
      ),
    )
  } else {
    skip(plan, ext || '(no extension)')
  }
}

function skip(plan: IngestPlan, reason: string): void {
  plan.skipped.set(reason, (plan.skipped.get(reason) ?? 0) + 1)
}

/** A line that is a task message goes as is; `{id?, text, metadata?}` becomes a text task. */
function fromLine(text: string, rel: string, line: number): string {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return text // the worker reports it as invalid_json, with its line in the queue
  }
  if (typeof value !== 'object' || value === null || 'type' in value || !('text' in value))
    return text
  const item = value as { id?: unknown; text: unknown; metadata?: unknown }
  const id = typeof item.id === 'string' ? item.id : `${rel}#${line}`
  const metadata = typeof item.metadata === 'object' && item.metadata !== null ? item.metadata : {}
  return JSON.stringify(
    textTask(`ingest:${rel}#${line}`, id, item.text, { ...metadata, source: rel }),
  )
}

function textTask(
  taskId: string,
  id: string,
  text: unknown,
  metadata: Record<string, unknown>,
): TaskMessage | Record<string, unknown> {
  return { version: 1, task_id: taskId, type: 'text', id, text, metadata }
}
