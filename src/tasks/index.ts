/** The task registry: one line per task type. */
import { batchTask } from './batch.ts'
import { imageTask } from './image.ts'
import type { TaskRegistry } from './task.ts'
import { textTask } from './text.ts'
import { unsupportedTask } from './unsupported.ts'

export const tasks: TaskRegistry = {
  text: textTask,
  batch: batchTask,
  image: imageTask,
  document: unsupportedTask('document'),
}
