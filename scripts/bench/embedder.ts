/**
 * The product's Embedder (TransformersModels → inference thread → tokenizer, tensors, ONNX Runtime
 * through transformers.js, pooling, transfer back): one big call, and a stream of small concurrent
 * calls like the text tasks of a queue.
 */
import { performance } from 'node:perf_hooks'
import type { Config } from '../../src/config/schema.ts'
import type { Embedder } from '../../src/models/embedder.ts'
import { TransformersModels } from '../../src/models/transformers.ts'
import type { Logger } from '../../src/observability/logger.ts'
import { repeat, type Timed } from './measure.ts'

const opts = () => ({ signal: AbortSignal.timeout(600_000) })

export interface OpenEmbedder {
  readonly models: TransformersModels
  readonly embedder: Embedder
  readonly loadMs: number
}

/** Built like main.ts's openModels, from the same config the end-to-end runs use. */
export async function openEmbedder(config: Config, logger: Logger): Promise<OpenEmbedder> {
  const models = new TransformersModels(
    {
      ...config.models,
      maxBatchTokens: config.processing.max_batch_tokens,
      maxBatchWaitMs: config.processing.max_batch_wait_ms,
    },
    { logger },
  )
  const t0 = performance.now()
  const embedder = await models.get(undefined, opts())
  const loadMs = performance.now() - t0
  await embedder.embed(['warm-up', 'a second warm-up text, a little longer'], opts())
  return { models, embedder, loadMs }
}

function check(embedder: Embedder, vector: Float32Array | undefined): void {
  if (vector?.length !== embedder.info.dimensions) {
    throw new Error(`expected a ${embedder.info.dimensions}-d vector, got ${vector?.length}`)
  }
}

export async function bigCall(
  embedder: Embedder,
  texts: readonly string[],
  seconds: number,
  maxPasses: number,
): Promise<Timed> {
  return repeat(seconds, maxPasses, async () => {
    const out = await embedder.embed(texts, opts())
    if (out.length !== texts.length) throw new Error(`${out.length} vectors for ${texts.length}`)
    check(embedder, out.at(-1)?.vector)
  })
}

/** `perCall` texts per call, `inFlight` calls outstanding at any time, until every text is embedded. */
export async function smallCalls(
  embedder: Embedder,
  texts: readonly string[],
  perCall: number,
  inFlight: number,
  seconds: number,
  maxPasses: number,
): Promise<Timed> {
  return repeat(seconds, maxPasses, async () => {
    let next = 0
    const lane = async () => {
      while (next < texts.length) {
        const start = next
        next += perCall
        const slice = texts.slice(start, start + perCall)
        const out = await embedder.embed(slice, opts())
        if (out.length !== slice.length) throw new Error('vector count mismatch')
        check(embedder, out[0]?.vector)
      }
    }
    await Promise.all(Array.from({ length: inFlight }, lane))
  })
}
