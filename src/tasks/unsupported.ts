import type { TaskType } from '../protocol/task.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { TaskHandler } from './task.ts'

/** Image and document tasks validate but are refused explicitly until their issue lands. */
export function unsupportedTask<T extends TaskType>(type: T): TaskHandler<T> {
  return {
    type,
    run: () =>
      Promise.reject(
        new VectorizeError(
          'unsupported_task_type',
          `${type} tasks are not supported by this worker version yet`,
        ),
      ),
  }
}
