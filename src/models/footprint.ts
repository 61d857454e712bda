/**
 * A model's memory footprint for `models.max_memory_bytes`: the size of the files it loads (the
 * ONNX file(s) of its dtype and its tokenizer). Known before loading, so the worker can evict to
 * make room first and refuse a model that can never fit, and the same on every machine. RSS growth
 * at load (`vectorize_model_memory_bytes`) is the other measure, but it is only known after the
 * memory is taken, and in one process it mixes with whatever else allocates at the same time.
 * ONNX Runtime holds the weights roughly once (plus packed copies and activations on top), so the
 * file size is a floor for what a model costs, not a ceiling: leave headroom in the budget.
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import type { Dtype } from './embedder.ts'
import { onnxFile, type ModelLocation } from './locate.ts'

export function footprintBytes(where: ModelLocation, dtype: Dtype): number {
  if (!where.dir) return 0 // not downloaded yet: counted once it is on disk
  const files = [onnxFile(where.family, dtype), 'tokenizer.json']
  if (where.family === 'clip') files.push(onnxFile(where.family, dtype, 'vision'))
  return files.reduce((sum, f) => sum + sizeOf(join(where.dir!, f)), 0)
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}
