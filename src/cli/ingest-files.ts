/**
 * Turns files into task messages for `vectorize ingest` (issue 5: mixed folders). By extension:
 * JSON Lines are task messages or `{id?, text, metadata?}` items (text tasks); images become
 * `image` tasks for the CLIP image model, in their own collection (another dimension than the
 * text model's); texts and documents (txt, md, html, pdf, docx, json) become `document` tasks, so
 * long files are chunked. Ids derive from the path, so ingesting the same files again overwrites
 * instead of duplicating. Images and documents are read by the worker from their path: the plan
 * names the folders it read from, for the run's `content.allowed_roots`.
 */
import { readdir, stat } from 'node:fs/promises'
import { dirname, extname, join, relative, resolve } from 'node:path'
import type { documentFormats, TaskMessage } from '../protocol/task.ts'
import { readLines } from './lines.ts'

export interface IngestOptions {
  /** Files over this are skipped (the worker would refuse them: content.max_fetch_bytes). */
  readonly maxFetchBytes: number
  readonly imageModel: string
  readonly imageCollection: string
}

export interface IngestPlan {
  readonly messages: string[]
  files: number
  /** Files not turned into tasks, counted by reason (the extension, or a limit). */
  readonly skipped: Map<string, number>
  /** Tasks by type. */
  readonly types: Map<string, number>
  /** Folders the tasks' paths lie in (resolved): the run's allowed roots. */
  readonly roots: string[]
}

const lineExtensions = new Set(['.jsonl', '.ndjson'])
const imageExtensions = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff'])
const documentExtensions: ReadonlyMap<string, (typeof documentFormats)[number]> = new Map([
  ['.txt', 'txt'],
  ['.md', 'md'],
  ['.markdown', 'md'],
  ['.html', 'html'],
  ['.htm', 'html'],
  ['.pdf', 'pdf'],
  ['.docx', 'docx'],
  ['.json', 'json'],
])

/** Extensions `ingest` turns into tasks, for help texts. */
export const ingestExtensions = [
  ...lineExtensions,
  ...documentExtensions.keys(),
  ...imageExtensions,
].join(' ')

/**
 * Ids are relative to what the user named (`ingest docs` → `docs/a/b.md`), not to the working
 * directory, so the same folder ingested from anywhere gets the same ids.
 */
export async function planIngest(
  paths: readonly string[],
  cwd: string,
  options: IngestOptions,
): Promise<IngestPlan> {
  const plan: IngestPlan = {
    messages: [],
    files: 0,
    skipped: new Map(),
    types: new Map(),
    roots: [],
  }
  for (const path of paths) {
    const root = resolve(cwd, path)
    const base = dirname(root)
    const isFolder = (await stat(root)).isDirectory()
    plan.roots.push(isFolder ? root : base)
    for (const file of await listFiles(root))
      await addFile(plan, file, relative(base, file), options)
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
  options: IngestOptions,
): Promise<void> {
  const ext = extname(file).toLowerCase()
  if (lineExtensions.has(ext)) {
    plan.files++
    for await (const { line, text } of readLines(file)) add(plan, ...fromLine(text, rel, line))
    return
  }
  const format = documentExtensions.get(ext)
  if (!format && !imageExtensions.has(ext)) return skip(plan, ext || '(no extension)')
  if ((await stat(file)).size > options.maxFetchBytes)
    return skip(plan, `${ext} over content.max_fetch_bytes`)
  plan.files++
  const common = { version: 1, task_id: `ingest:${rel}`, metadata: { source: rel } } as const
  if (format)
    add(plan, 'document', {
      ...common,
      type: 'document',
      document: { id: rel, path: file, format },
    })
  else
    add(plan, 'image', {
      ...common,
      type: 'image',
      id: rel,
      model: options.imageModel,
      collection: options.imageCollection,
      image: { path: file },
    })
}

function add(plan: IngestPlan, type: string, message: TaskMessage | string): void {
  plan.messages.push(typeof message === 'string' ? message : JSON.stringify(message))
  plan.types.set(type, (plan.types.get(type) ?? 0) + 1)
}

function skip(plan: IngestPlan, reason: string): void {
  plan.skipped.set(reason, (plan.skipped.get(reason) ?? 0) + 1)
}

/**
 * A line that is a task message goes as is; `{id?, text, metadata?}` becomes a text task. Returns
 * the task type (for the counts) and the message.
 */
function fromLine(text: string, rel: string, line: number): [string, string] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return ['invalid', text] // the worker reports it as invalid_json, with its line in the queue
  }
  if (typeof value !== 'object' || value === null || 'type' in value || !('text' in value)) {
    const type = (value as { type?: unknown } | null)?.type
    return [typeof type === 'string' ? type : 'invalid', text]
  }
  const item = value as { id?: unknown; text: unknown; metadata?: unknown }
  const id = typeof item.id === 'string' ? item.id : `${rel}#${line}`
  const metadata = typeof item.metadata === 'object' && item.metadata !== null ? item.metadata : {}
  const message = JSON.stringify({
    version: 1,
    task_id: `ingest:${rel}#${line}`,
    type: 'text',
    id,
    text: item.text,
    metadata: { ...metadata, source: rel },
  })
  return ['text', message]
}
