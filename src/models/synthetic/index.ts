/**
 * Deterministic generator of small, real, loadable ONNX models for tests and the offline demo.
 * Weights cannot be downloaded where vectorize is tested, so these folders are built from seeded
 * random numbers in the Hugging Face layout transformers.js reads with
 * `env.allowRemoteModels = false; env.localModelPath = rootDir`. Same version → same bytes.
 */
import { buildBertFiles } from './bert.ts'
import { TEST_MODELS, type TestModel } from './catalog.ts'
import { buildClipFiles } from './clip.ts'
import type { ModelFiles } from './model-files.ts'
import { writeModelFolder, type GeneratedModel } from './writer.ts'

export { buildBertFiles, type BertSpec } from './bert.ts'
export { TEST_MODELS, type BertTestModel, type ClipTestModel, type TestModel } from './catalog.ts'
export { buildClipFiles, type ClipSpec } from './clip.ts'
export { COLOR_WORDS, normalizedColor } from './clip-colors.ts'
export { GENERATOR_VERSION, type ModelFiles } from './model-files.ts'
export { STAMP_FILE, modelDir, type GeneratedModel } from './writer.ts'

/** The files of one catalog model, in memory (nothing written). */
export function buildTestModelFiles(model: TestModel): ModelFiles {
  return model.kind === 'bert' ? buildBertFiles(model.spec) : buildClipFiles(model.spec)
}

/** Writes one model's folder under `rootDir`, or leaves an up-to-date one alone. */
export async function generateTestModel(
  rootDir: string,
  model: TestModel,
): Promise<GeneratedModel> {
  return writeModelFolder(rootDir, model.id, model.spec, () => buildTestModelFiles(model))
}

/** Writes every catalog model (or the given ones) under `rootDir`; idempotent. */
export async function generateTestModels(
  rootDir: string,
  models: readonly TestModel[] = Object.values(TEST_MODELS),
): Promise<GeneratedModel[]> {
  const generated: GeneratedModel[] = []
  for (const model of models) generated.push(await generateTestModel(rootDir, model))
  return generated
}
