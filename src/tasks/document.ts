/**
 * Document tasks: read (guarded), parse (src/documents), chunk, then embed and write the chunks in
 * slices with a progress update after each, and delete the stale tail of an earlier, longer
 * version. A document sent again unchanged — every chunk id already stored with the same
 * `content_hash` — is not embedded again: the outcome lists its ids with `counts.vectors: 0`.
 */
import { createHash } from 'node:crypto'
import { chunkDocument, chunkSettings, type Chunk, type ChunkSettings } from '../documents/chunk.ts'
import type { DocumentFormat, ParsedDocument } from '../documents/document.ts'
import { documentTooLarge, invalidDocument } from '../documents/errors.ts'
import { formatOf, parsers } from '../documents/index.ts'
import type { DocumentTask } from '../protocol/task.ts'
import { vectorId } from '../worker/ids.ts'
import { embedItems, modelCollection, newOutcome, timed, type Item } from './embed-items.ts'
import { readDocument } from './document-read.ts'
import type { TaskContext, TaskHandler, TaskOutcome } from './task.ts'

/** Chunks per embed-and-write slice: one progress update each. */
const DOCUMENT_SLICE = 32

export const documentTask: TaskHandler<'document'> = {
  type: 'document',
  run: async (task, ctx) => {
    const source = task.document
    const format = formatOf(source)
    const { bytes, origin } = await readDocument(source, format, ctx.content, ctx.signal)
    const parsed = await parsers[format].parse({
      bytes,
      origin,
      limits: { ...ctx.content, max_metadata_bytes: ctx.limits.max_metadata_bytes },
      ...(source.fields && { fields: source.fields }),
      signal: ctx.signal,
    })
    const embedder = await ctx.models.get(task.model, ctx)
    const settings = chunkSettings(task.chunking, embedder.info.maxTokens)
    const chunks = await chunkDocument(parsed, settings, (texts) =>
      embedder.countTokens(texts, ctx),
    )
    checkCount(chunks, format, origin, ctx)
    const hash = contentHash(bytes, format, settings, source.fields)
    const { info } = embedder
    const collection = await modelCollection(task.collection, info, ctx)
    const ids = chunks.map((c) =>
      vectorId({ collection, documentId: source.id, chunkIndex: c.index, model: info.identity }),
    )
    let outcome: TaskOutcome
    if (await unchanged(ctx, collection, ids, hash)) {
      outcome = newOutcome(collection, info.identity, info.dimensions, chunks.length)
      outcome.ids.push(...ids)
      ctx.progress(chunks.length, chunks.length)
    } else {
      const items = chunks.map((c) =>
        toItem(c, chunks.length, { task, parsed, format, origin, hash }),
      )
      outcome = await embedItems(
        { taskId: task.task_id, model: task.model, collection, items, slice: DOCUMENT_SLICE },
        ctx,
      )
    }
    // Always: a crash between the writes and this delete must not leave a stale tail forever.
    await timed(ctx, 'storeMs', () =>
      ctx.store.deleteDocument(collection, source.id, chunks.length, ctx),
    )
    return outcome
  },
}

function checkCount(chunks: readonly Chunk[], format: string, origin: string, ctx: TaskContext) {
  if (chunks.length === 0) throw invalidDocument(format, origin, 'has no text to embed')
  const max = ctx.content.max_chunks_per_document
  if (chunks.length > max)
    throw documentTooLarge(
      format,
      origin,
      `makes ${chunks.length} chunks, over content.max_chunks_per_document (${max})`,
      { chunks: chunks.length, limit: 'max_chunks_per_document' },
    )
}

/** sha256 of the bytes and of everything that decides the chunks (format, fields, chunking). */
export function contentHash(
  bytes: Buffer,
  format: DocumentFormat,
  settings: ChunkSettings,
  fields: unknown,
): string {
  const settingsText = JSON.stringify({ format, fields: fields ?? null, ...settings })
  return createHash('sha256').update(bytes).update('\u0000').update(settingsText).digest('hex')
}

/** True when every chunk id is stored with this hash and this chunk total (a half-written attempt is not). */
async function unchanged(
  ctx: TaskContext,
  collection: string,
  ids: readonly string[],
  hash: string,
): Promise<boolean> {
  const stored = await timed(ctx, 'storeMs', () => ctx.store.fetch(collection, ids, ctx))
  const byId = new Map(stored.map((r) => [r.id, r]))
  return ids.every((id) => {
    const meta = byId.get(id)?.metadata
    return meta?.content_hash === hash && meta.chunk_total === ids.length
  })
}

interface ItemContext {
  readonly task: DocumentTask
  readonly parsed: ParsedDocument
  readonly format: DocumentFormat
  readonly origin: string
  readonly hash: string
}

function toItem(chunk: Chunk, total: number, c: ItemContext): Item {
  const { section } = chunk
  const metadata: Record<string, unknown> = {
    ...c.task.metadata,
    ...c.parsed.metadata,
    ...section.metadata,
    document_id: c.task.document.id,
    chunk_index: chunk.index,
    chunk_total: total,
    char_start: chunk.start,
    char_end: chunk.end,
    ...(section.page !== undefined && { page: section.page }),
    ...(section.headingPath && { heading_path: section.headingPath.join(' > ') }),
    ...(c.parsed.title !== undefined && { title: c.parsed.title }),
    format: c.format,
    source: c.origin,
    content_hash: c.hash,
  }
  return { documentId: c.task.document.id, chunkIndex: chunk.index, text: chunk.text, metadata }
}
