import { createHash } from 'node:crypto'
import { decodeImage } from '../content/images.ts'
import { readContent } from '../content/read.ts'
import type { VectorRecord } from '../stores/store.ts'
import { VectorizeError } from '../worker/errors.ts'
import { vectorId } from '../worker/ids.ts'
import { modelCollection, newOutcome, timed, write } from './embed-items.ts'
import type { TaskHandler } from './task.ts'

/**
 * One image → one CLIP image vector, in the same space as the model's text vectors (so `search`
 * with text finds images). Read and decoded under the `content` guards before the model is asked.
 * Without an `id`, the hash of the file's bytes identifies it.
 */
export const imageTask: TaskHandler<'image'> = {
  type: 'image',
  run: async (task, ctx) => {
    const { bytes, origin } = await readContent(task.image, ctx.content, { signal: ctx.signal })
    const { image, facts } = await decodeImage(bytes, ctx.content.max_image_pixels, origin)
    const embedder = await ctx.models.get(task.model, ctx)
    const { info } = embedder
    if (!embedder.embedImages)
      throw new VectorizeError(
        'unknown_model',
        `model ${info.name} has no image tower; image tasks need a CLIP model (e.g. ViT-B/32)`,
      )
    const collection = await modelCollection(task.collection, info, ctx)
    const [vector] = await timed(ctx, 'inferenceMs', () => embedder.embedImages!([image], ctx))
    const documentId = task.id ?? 'sha256:' + createHash('sha256').update(bytes).digest('hex')
    const record: VectorRecord = {
      id: vectorId({ collection, documentId, chunkIndex: 0, model: info.identity }),
      vector: vector!,
      taskId: task.task_id,
      documentId,
      chunkIndex: 0,
      text: origin,
      metadata: {
        ...task.metadata,
        source: origin,
        image_format: facts.format,
        image_width: facts.width,
        image_height: facts.height,
        image_bytes: bytes.length,
      },
    }
    await write(ctx, collection, [record], 0)
    const outcome = newOutcome(collection, info.identity, info.dimensions, 1)
    outcome.ids.push(record.id)
    outcome.counts.vectors = 1
    return outcome
  },
}
