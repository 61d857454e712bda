/**
 * One measured process of `npm run bench` (scripts/bench-real.ts), so that each contender's CPU
 * time and peak RSS are its own. Reads a JSON spec (argv[2]) and prints one JSON line:
 * - `ort`: onnxruntime-node alone on the model file, texts tokenized beforehand and run in
 *   length-sorted batches of `batchSize`, threads not spinning (as the worker); only `session.run`
 *   is timed;
 * - `e2e`: the embedded pipeline (local queue → worker → LanceDB) on `text` tasks of one text or
 *   `batch` tasks of `batchItems`; the run is timed apart from publishing and start-up;
 * - `accuracy`: the product's Embedder on the shared reference texts, cosine to their vectors.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import type { Dtype } from '../../src/models/embedder.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { openEmbedder } from './embedder.ts'
import { benchConfig, endToEnd, taskMessages } from './end-to-end.ts'
import { timed } from './measure.ts'
import { prepareModel } from './model.ts'
import { loadTokenizer, maxTokensOf, tokenize } from './workloads.ts'

export interface ChildSpec {
  readonly role: 'ort' | 'e2e' | 'accuracy'
  readonly modelsRoot: string
  readonly model: string
  readonly dtype: Dtype
  /** JSON array of strings (ort, e2e) or the reference folder (accuracy). */
  readonly texts: string
  readonly threads?: number
  readonly batchSize?: number
  readonly kind?: 'text' | 'batch'
  readonly batchItems?: number
  /** Worker settings over the defaults (e2e), e.g. `processing.max_concurrent_tasks`. */
  readonly settings?: Readonly<Record<string, string>>
}

export interface ChildResult {
  readonly wallMs: number
  /** Process CPU time (all threads) of the timed part, ms. */
  readonly cpuMs: number
  /** Load and warm-up (ort), worker start-up with the model load (e2e). */
  readonly startMs: number
  readonly tokens?: number
  readonly cosine?: { readonly min: number; readonly median: number; readonly count: number }
}

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as ChildSpec
const logger = createLogger({ level: 'warn' })
const readTexts = () => JSON.parse(readFileSync(spec.texts, 'utf8')) as string[]

async function ortRun(): Promise<ChildResult> {
  const t0 = performance.now()
  const model = await prepareModel(spec.model, spec.modelsRoot, spec.dtype)
  const tokenizer = await loadTokenizer(model)
  const work = tokenize('texts', readTexts(), tokenizer, maxTokensOf(tokenizer, model))
  const order = work.lengths.map((_, i) => i).sort((a, b) => work.lengths[a]! - work.lengths[b]!)
  const size = spec.batchSize ?? 32
  const session = await ort.InferenceSession.create(model.file, {
    intraOpNumThreads: spec.threads ?? 0,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // as the worker runs it (models.allow_spinning: false): spinning threads would bill the
    // ceiling CPU that the worker does not spend
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  })
  const feeds: Record<string, ort.Tensor>[] = []
  for (let start = 0; start < order.length; start += size) {
    const batch = order.slice(start, start + size)
    const seq = Math.max(...batch.map((i) => work.lengths[i]!))
    const ids = new BigInt64Array(batch.length * seq)
    const mask = new BigInt64Array(batch.length * seq)
    batch.forEach((index, row) =>
      work.ids[index]!.forEach((id, col) => {
        ids[row * seq + col] = BigInt(id)
        mask[row * seq + col] = 1n
      }),
    )
    const dims = [batch.length, seq]
    const known: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(batch.length * seq), dims),
    }
    feeds.push(Object.fromEntries(session.inputNames.map((name) => [name, known[name]!])))
  }
  for (const f of [feeds.at(-1)!, feeds[0]!]) await session.run(f) // warm-up: grow the arena
  const startMs = performance.now() - t0
  const run = await timed(async () => {
    for (const f of feeds) await session.run(f)
  })
  await session.release()
  return { wallMs: run.ms, cpuMs: run.cpuMs, startMs, tokens: work.tokens }
}

async function e2eRun(): Promise<ChildResult> {
  const texts = readTexts()
  const messages = taskMessages(texts, spec.kind ?? 'text', spec.batchItems ?? 64)
  const settings = { 'models.dtype': spec.dtype, ...spec.settings }
  const extra = Object.entries(settings).map(([key, raw]) => ({ key, raw, flag: `(bench) ${key}` }))
  const paths = { modelsRoot: spec.modelsRoot, model: spec.model }
  const result = await endToEnd(paths, messages, texts.length, logger, { extra })
  return {
    wallMs: result.runMs,
    cpuMs: result.cpuMs,
    startMs: result.startMs,
    tokens: result.tokens,
  }
}

async function accuracyRun(): Promise<ChildResult> {
  const lines = readFileSync(join(spec.texts, 'texts.jsonl'), 'utf8').split('\n')
  const texts = lines
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { text: string }).text)
  const bytes = readFileSync(join(spec.texts, 'vectors.f32'))
  const reference = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)
  const dims = reference.length / texts.length
  const settings = { 'models.dtype': spec.dtype, ...spec.settings }
  const extra = Object.entries(settings).map(([key, raw]) => ({ key, raw, flag: `(bench) ${key}` }))
  const config = await benchConfig({ modelsRoot: spec.modelsRoot, model: spec.model }, extra)
  const t0 = performance.now()
  const { models, embedder } = await openEmbedder(config, logger)
  const startMs = performance.now() - t0
  let out: Awaited<ReturnType<typeof embedder.embed>> = []
  const run = await timed(async () => {
    out = await embedder.embed(texts, { signal: AbortSignal.timeout(600_000) })
  })
  await models.close()
  const cosines = out.map(({ vector }, i) => {
    const ref = reference.subarray(i * dims, (i + 1) * dims)
    let dot = 0
    let a = 0
    let b = 0
    for (let k = 0; k < dims; k++) {
      dot += vector[k]! * ref[k]!
      a += vector[k]! ** 2
      b += ref[k]! ** 2
    }
    return dot / Math.sqrt(a * b)
  })
  const sorted = cosines.sort((x, y) => x - y)
  const median = sorted[Math.floor(sorted.length / 2)]!
  return {
    wallMs: run.ms,
    cpuMs: run.cpuMs,
    startMs,
    cosine: { min: sorted[0]!, median, count: sorted.length },
  }
}

const roles = { ort: ortRun, e2e: e2eRun, accuracy: accuracyRun }
const result = await roles[spec.role]()
process.stdout.write(`${JSON.stringify(result)}\n`)
