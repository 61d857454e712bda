import { contentId } from '../worker/ids.ts'
import { embedItems } from './embed-items.ts'
import type { TaskHandler } from './task.ts'

/** Many texts in one task; item metadata is layered over the task's. Progress is reported per slice. */
export const batchTask: TaskHandler<'batch'> = {
  type: 'batch',
  run: (task, ctx) =>
    embedItems(
      {
        taskId: task.task_id,
        model: task.model,
        collection: task.collection,
        items: task.items.map((item) => ({
          documentId: item.id ?? contentId(item.text),
          text: item.text,
          metadata: { ...task.metadata, ...item.metadata },
        })),
      },
      ctx,
    ),
}
