/**
 * The shared path of text-like tasks: embed items, build records with deterministic ids, ensure
 * the collection, upsert, and report per-object store failures. Slices are pipelined: the next
 * slice is being embedded while the previous one is written.
 */
import type { Embedder, Embedding, ModelInfo } from '../models/embedder.ts'
import type { VectorRecord } from '../stores/store.ts'
import { VectorizeError } from '../worker/errors.ts'
import { vectorId } from '../worker/ids.ts'
import type { Signal } from '../worker/types.ts'
import type { TaskContext, TaskOutcome } from './task.ts'

export interface Item {
  /** Business id of the item (or its content hash). */
  readonly documentId: string
  readonly text: string
  readonly metadata: Readonly<Record<string, unknown>>
  /** Position within its document (document chunks); 0 for a whole item. */
  readonly chunkIndex?: number
}

export interface EmbedJob {
  readonly taskId: string
  readonly model: string | undefined
  readonly collection: string | undefined
  readonly items: readonly Item[]
  /** Items per embed-and-write slice (and progress update); SLICE when absent. */
  readonly slice?: number
}

/** Items per embed request: small enough for steady progress, large enough to fill batches. */
export const SLICE = 256

export async function embedItems(job: EmbedJob, ctx: TaskContext): Promise<TaskOutcome> {
  const embedder = await ctx.models.get(job.model, ctx)
  const { info } = embedder
  const collection = await modelCollection(job.collection, info, ctx)
  const slices = sliceItems(job.items, job.slice ?? SLICE)
  const outcome = newOutcome(collection, info.identity, info.dimensions, job.items.length)
  // The embedding of the next slice runs while this one is written. If the task ends early (a
  // write fails, timeout, shutdown), that embedding is cancelled and its rejection is observed
  // here, never left unhandled (issue 10: an unhandled rejection ends the process).
  const prefetch = new AbortController()
  const embedCtx = { signal: AbortSignal.any([ctx.signal, prefetch.signal]) }
  let next = prefetched(embedSlice(embedder, slices[0] ?? [], ctx, embedCtx))
  try {
    for (let s = 0, offset = 0; s < slices.length; offset += slices[s]!.length, s++) {
      const embeddings = await next
      if (s + 1 < slices.length)
        next = prefetched(embedSlice(embedder, slices[s + 1]!, ctx, embedCtx))
      const records = toRecords(job, slices[s]!, embeddings, collection, info.identity)
      await write(ctx, collection, records, offset)
      addToOutcome(outcome, info.maxTokens, slices[s]!, embeddings, records, offset)
      ctx.progress(offset + slices[s]!.length, job.items.length)
    }
    return outcome
  } finally {
    prefetch.abort()
  }
}

/** Marks a promise that may be awaited later (or never) as handled; awaiting it still throws. */
function prefetched<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined)
  return promise
}

function sliceItems(items: readonly Item[], size: number): Item[][] {
  const slices: Item[][] = []
  for (let i = 0; i < items.length; i += size) slices.push(items.slice(i, i + size))
  return slices
}

function embedSlice(
  embedder: Embedder,
  items: readonly Item[],
  ctx: TaskContext,
  opts: Signal,
): Promise<Embedding[]> {
  return timed(ctx, 'inferenceMs', () =>
    embedder.embed(
      items.map((i) => i.text),
      opts,
    ),
  )
}

/** The task's collection (or the default), created for this model's vectors if missing. */
export async function modelCollection(
  name: string | undefined,
  info: ModelInfo,
  ctx: TaskContext,
): Promise<string> {
  const collection = name ?? ctx.defaults.collection
  const spec = { name: collection, dimensions: info.dimensions, model: info.identity }
  await timed(ctx, 'storeMs', () =>
    ctx.ensureCollection({ ...spec, distance: ctx.defaults.distance }),
  )
  return collection
}

export async function timed<T>(
  ctx: TaskContext,
  key: 'inferenceMs' | 'storeMs',
  fn: () => Promise<T>,
): Promise<T> {
  const start = performance.now()
  try {
    return await fn()
  } finally {
    ctx.timings[key] += performance.now() - start
  }
}

function toRecords(
  job: EmbedJob,
  items: readonly Item[],
  embeddings: readonly Embedding[],
  collection: string,
  model: string,
): VectorRecord[] {
  return items.map((item, i) => ({
    id: vectorId({
      collection,
      documentId: item.documentId,
      chunkIndex: item.chunkIndex ?? 0,
      model,
    }),
    vector: embeddings[i]!.vector,
    taskId: job.taskId,
    documentId: item.documentId,
    chunkIndex: item.chunkIndex ?? 0,
    text: item.text,
    metadata: item.metadata,
  }))
}

/** Writes a slice; objects the store refused fail the task with the store's reasons, the rest stay written. */
export async function write(
  ctx: TaskContext,
  collection: string,
  records: readonly VectorRecord[],
  offset: number,
): Promise<void> {
  const unique = dedupe(records)
  const result = await timed(ctx, 'storeMs', () => ctx.store.upsert(collection, unique, ctx))
  if (result.failed.length === 0) return
  const reasons = result.failed
    .slice(0, 5)
    .map((f) => `item ${offset + f.index} (${f.id}): ${f.reason}`)
  throw new VectorizeError(
    'store_rejected',
    `the store rejected ${result.failed.length} of ${unique.length} objects: ${reasons.join('; ')}`,
  )
}

/** Two items with the same id in one write (same text, no id) would be ambiguous for a merge: keep the last. */
function dedupe(records: readonly VectorRecord[]): VectorRecord[] {
  const byId = new Map<string, VectorRecord>()
  for (const record of records) byId.set(record.id, record)
  return byId.size === records.length ? [...records] : [...byId.values()]
}

export function newOutcome(
  collection: string,
  model: string,
  dimensions: number,
  items: number,
): TaskOutcome {
  return {
    collection,
    model,
    dimensions,
    ids: [],
    counts: { items, vectors: 0, tokens: 0, truncated: 0 },
    truncated: [],
  }
}

function addToOutcome(
  outcome: TaskOutcome,
  maxTokens: number,
  items: readonly Item[],
  embeddings: readonly Embedding[],
  records: readonly VectorRecord[],
  offset: number,
): void {
  embeddings.forEach((e, i) => {
    outcome.ids.push(records[i]!.id)
    outcome.counts.tokens += Math.min(e.inputTokens, maxTokens)
    if (e.truncated) {
      outcome.counts.truncated++
      outcome.truncated.push({
        index: offset + i,
        id: items[i]!.documentId,
        input_tokens: e.inputTokens,
      })
    }
  })
  outcome.counts.vectors = new Set(outcome.ids).size
}
