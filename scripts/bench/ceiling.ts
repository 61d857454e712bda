/**
 * The ceiling: onnxruntime-node alone on the model file the worker loads, fed pre-tokenized,
 * pre-built tensors in the worker's length-sorted, token-budgeted batches. Only `session.run` is
 * timed — no tokenizing, tensor building, pooling, thread hops or I/O.
 */
import * as ort from 'onnxruntime-node'
import { repeat, type Timed } from './measure.ts'
import type { Plan, Workload } from './workloads.ts'

export interface CeilingOptions {
  readonly threads: number
  readonly seconds: number
  readonly maxPasses: number
  readonly padId: number
}

type Feeds = Record<string, ort.Tensor>

export async function ortCeiling(
  file: string,
  workload: Workload,
  plan: Plan,
  options: CeilingOptions,
): Promise<Timed> {
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  })
  try {
    const feeds = plan.batches.map((batch) =>
      buildFeeds(session.inputNames, batch, workload, options.padId),
    )
    // Warm-up: the largest shapes first grow the arena; then a few typical ones.
    for (const f of [...feeds.slice(-2), ...feeds.slice(0, 2)]) await session.run(f)
    return await repeat(options.seconds, options.maxPasses, async () => {
      for (const f of feeds) await session.run(f)
    })
  } finally {
    await session.release()
  }
}

function buildFeeds(
  names: readonly string[],
  batch: readonly number[],
  workload: Workload,
  padId: number,
): Feeds {
  const seq = Math.max(...batch.map((i) => workload.lengths[i]!))
  const ids = new BigInt64Array(batch.length * seq).fill(BigInt(padId))
  const mask = new BigInt64Array(batch.length * seq)
  batch.forEach((index, row) => {
    workload.ids[index]!.forEach((id, col) => {
      ids[row * seq + col] = BigInt(id)
      mask[row * seq + col] = 1n
    })
  })
  const dims = [batch.length, seq]
  const known: Feeds = {
    input_ids: new ort.Tensor('int64', ids, dims),
    attention_mask: new ort.Tensor('int64', mask, dims),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(batch.length * seq), dims),
  }
  const feeds: Feeds = {}
  for (const name of names) {
    const tensor = known[name]
    if (!tensor) throw new Error(`the ceiling cannot feed model input "${name}"`)
    feeds[name] = tensor
  }
  return feeds
}
