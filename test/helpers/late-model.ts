/**
 * A poison task whose cause an operator can fix: it names a model that is not in the workspace's
 * models directory until the test "adds" it (a copy of the generated test model under that name),
 * as an operator would drop a missing model into models.dir before replaying the dead letter.
 */
import { cp, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { DEFAULT_MODEL } from './cli.ts'
import { testModels } from './models.ts'

export const LATE_MODEL = 'vectorize-test/late-model'
export const LATE_COLLECTION = 'late'

export interface ModelsDir {
  /** The environment that points a CLI child at this directory. */
  readonly env: Record<string, string>
  /** Puts LATE_MODEL into the directory. */
  addLateModel(): Promise<void>
}

/** `<dir>/models` holding only the default test model. */
export async function modelsDir(dir: string): Promise<ModelsDir> {
  const root = join(dir, 'models')
  const fixtures = await testModels()
  await mkdir(join(root, 'vectorize-test'), { recursive: true })
  await cp(join(fixtures, DEFAULT_MODEL), join(root, DEFAULT_MODEL), { recursive: true })
  return {
    env: { VECTORIZE_WORKER_MODELS_DIR: root, VECTORIZE_WORKER_MODELS_CACHE_DIR: root },
    addLateModel: () =>
      cp(join(fixtures, DEFAULT_MODEL), join(root, LATE_MODEL), { recursive: true }),
  }
}

/** A text task for LATE_MODEL, in its own collection. */
export function lateTask(taskId: string): string {
  return JSON.stringify({
    version: 1,
    task_id: taskId,
    type: 'text',
    collection: LATE_COLLECTION,
    text: `a text that waits for its model (${taskId})`,
    model: LATE_MODEL,
  })
}
