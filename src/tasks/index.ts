/** The task registry: one line per task type. */
import { batchTask } from './batch.ts'
import { documentTask } from './document.ts'
import { imageTask } from './image.ts'
import type { TaskRegistry } from './task.ts'
import { textTask } from './text.ts'

export const tasks: TaskRegistry = {
  text: textTask,
  batch: batchTask,
  image: imageTask,
  document: documentTask,
}
