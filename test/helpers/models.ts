/** The generated test models, written once under fixtures/models (idempotent, safe in parallel). */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ModelsOptions } from '../../src/models/transformers.ts'
import { generateTestModels } from '../../src/models/synthetic/index.ts'

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir)
  return dir
}

export const MODELS_DIR = join(repoRoot(), 'fixtures', 'models')

export async function testModels(): Promise<string> {
  await generateTestModels(MODELS_DIR)
  return MODELS_DIR
}

export function modelOptions(overrides: Partial<ModelsOptions> = {}): ModelsOptions {
  return {
    default: 'vectorize-test/minilm-tiny',
    max_loaded: 3,
    max_memory_bytes: 0,
    device: 'cpu',
    dtype: 'fp32',
    pooling: 'mean',
    normalize: true,
    dir: MODELS_DIR,
    cache_dir: MODELS_DIR,
    allow_remote: false,
    threads: 1,
    allow_spinning: false,
    maxBatchTokens: 4096,
    maxBatchWaitMs: 2,
    ...overrides,
  }
}
