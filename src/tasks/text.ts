import { contentId } from '../worker/ids.ts'
import { embedItems } from './embed-items.ts'
import type { TaskHandler } from './task.ts'

/** One text → one vector. Without an `id`, the content hash identifies it (same text, same vector). */
export const textTask: TaskHandler<'text'> = {
  type: 'text',
  run: (task, ctx) =>
    embedItems(
      {
        taskId: task.task_id,
        model: task.model,
        collection: task.collection,
        items: [
          {
            documentId: task.id ?? contentId(task.text),
            text: task.text,
            metadata: task.metadata ?? {},
          },
        ],
      },
      ctx,
    ),
}
