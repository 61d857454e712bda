/** Status and result messages (SPEC §4.2), published to `vectorize.status` / `vectorize.results`. */
import { z } from 'zod'
import { errorCodes } from '../worker/errors.ts'

export const taskStates = ['queued', 'started', 'progress', 'succeeded', 'failed'] as const
export type TaskState = (typeof taskStates)[number]

export const statusMessage = z.strictObject({
  task_id: z.string(),
  state: z.enum(taskStates),
  progress: z
    .strictObject({ done: z.number().int().min(0), total: z.number().int().min(0) })
    .optional(),
  error: z
    .strictObject({ code: z.enum(errorCodes), message: z.string(), retriable: z.boolean() })
    .optional(),
  worker_id: z.string(),
  at: z.iso.datetime(),
})

export const resultMessage = z.strictObject({
  task_id: z.string(),
  collection: z.string(),
  model: z.string(),
  dimensions: z.number().int().positive(),
  ids: z.array(z.string()),
  counts: z.strictObject({
    items: z.number().int().min(0),
    vectors: z.number().int().min(0),
    tokens: z.number().int().min(0),
    truncated: z.number().int().min(0),
  }),
  truncated: z.array(
    z.strictObject({
      index: z.number().int().min(0),
      id: z.string(),
      input_tokens: z.number().int(),
    }),
  ),
  timings_ms: z.strictObject({
    queue: z.number().min(0),
    inference: z.number().min(0),
    store: z.number().min(0),
    total: z.number().min(0),
  }),
  worker_id: z.string(),
})

export type StatusMessage = z.infer<typeof statusMessage>
export type ResultMessage = z.infer<typeof resultMessage>
