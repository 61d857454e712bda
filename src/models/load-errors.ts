/** The errors of getting a model: not found (saying every path tried and how to get it), failed, too big. */
import { VectorizeError } from '../worker/errors.ts'
import type { LocateResult } from './locate.ts'

export const NO_DOWNLOADS =
  'downloads are off (models.allow_remote: false): put the model there with `vectorize models pull NAME` (from the Hugging Face hub) or `vectorize models import DIR` (a sentence-transformers folder), or set models.allow_remote: true'

export function notFoundError(
  requested: string,
  isDefault: boolean,
  located: LocateResult,
  why: string,
): VectorizeError {
  const code = isDefault ? 'model_not_found' : 'unknown_model'
  const message = `model "${requested}" not found; tried: ${located.tried.join(', ')}; ${why}`
  return new VectorizeError(code, message, { details: { tried: located.tried } })
}

export function loadError(
  requested: string,
  isDefault: boolean,
  located: LocateResult,
  err: unknown,
): VectorizeError {
  if (err instanceof VectorizeError && err.code === 'cancelled') return err
  const reason = (err as Error).message
  if (located.found)
    return new VectorizeError(
      'model_load_failed',
      `model "${requested}" failed to load from ${located.found.dir}: ${reason}`,
      { cause: err },
    )
  const why = `download of ${located.remote.repo} from the hub failed: ${reason}`
  return notFoundError(requested, isDefault, located, why)
}

export function overBudgetError(
  requested: string,
  located: LocateResult,
  bytes: number,
  budget: number,
): VectorizeError {
  const message = `model "${requested}" needs ${bytes} bytes (its files in ${located.found?.dir}), more than models.max_memory_bytes (${budget}) allows`
  return new VectorizeError('model_load_failed', message, { details: { bytes, budget } })
}
