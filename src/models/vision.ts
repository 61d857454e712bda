/**
 * CLIP's image tower inside the inference thread: the model's own image processor (resize, crop,
 * normalise from `preprocessor_config.json`) and `CLIPVisionModelWithProjection`. Loaded on the
 * first image request, so text-only use of a CLIP model never pays for it.
 */
import {
  AutoProcessor,
  CLIPVisionModelWithProjection,
  RawImage,
  type Processor,
  Tensor,
} from '@huggingface/transformers'
import type { DecodedImage } from './embedder.ts'
import { pool } from './pooling.ts'
import type { LoadSpec } from './thread-protocol.ts'

export interface VisionModel {
  run(images: readonly DecodedImage[]): Promise<Float32Array[]>
  dispose(): Promise<void>
}

export async function loadVisionModel(spec: LoadSpec): Promise<VisionModel> {
  const processor: Processor = await AutoProcessor.from_pretrained(spec.repo)
  const threads = spec.threads > 0 ? spec.threads : undefined
  const model = await CLIPVisionModelWithProjection.from_pretrained(spec.repo, {
    dtype: spec.dtype,
    device: spec.device,
    session_options: {
      ...(threads && { intraOpNumThreads: threads }),
      interOpNumThreads: 1,
      extra: { session: { intra_op: { allow_spinning: spec.allowSpinning ? '1' : '0' } } },
    },
  })
  return {
    async run(images) {
      const raw = images.map((i) => new RawImage(i.data, i.width, i.height, 3))
      const inputs = (await processor(raw)) as Record<string, Tensor>
      const output = (await model(inputs)) as Record<string, Tensor>
      try {
        const embeds = output.image_embeds!
        const [batch, dim] = embeds.dims as [number, number]
        const states = { data: embeds.data as Float32Array, batch, seq: 1, hidden: dim }
        return pool(
          states,
          images.map(() => 1),
          'cls',
          spec.normalize,
        )
      } finally {
        // the processor's output also holds plain arrays (original sizes): dispose tensors only
        for (const t of [...Object.values(inputs), ...Object.values(output)])
          if (t instanceof Tensor) t.dispose()
      }
    },
    dispose: async () => {
      await model.dispose()
    },
  }
}
