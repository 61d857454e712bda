/**
 * Task protocol v1 (SPEC §4.1). These zod schemas are the single source: `schema/*.schema.json`
 * is generated from them (`npm run schema:generate`) and a test keeps the two in sync.
 */
import { z } from 'zod'

export const PROTOCOL_VERSION = 1
export const taskTypes = ['text', 'batch', 'image', 'document'] as const
export type TaskType = (typeof taskTypes)[number]

const id = z.string().min(1).max(512)
const metadata = z.record(z.string().max(256), z.unknown())
/** Collection names must be valid for every store (Weaviate classes, Qdrant collections, Lance tables). */
export const collectionName = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_]{0,62}$/,
    'letters, digits and _, starting with a letter, at most 63',
  )

const common = {
  version: z.literal(PROTOCOL_VERSION).default(PROTOCOL_VERSION),
  task_id: id,
  model: z.string().min(1).max(256).optional(),
  collection: collectionName.optional(),
  metadata: metadata.optional(),
  priority: z.number().int().min(0).max(9).optional(),
}

export const textTask = z.strictObject({
  ...common,
  type: z.literal('text'),
  text: z.string(),
  id: id.optional(),
})

export const batchItem = z.strictObject({
  id: id.optional(),
  text: z.string(),
  metadata: metadata.optional(),
})

export const batchTask = z.strictObject({
  ...common,
  type: z.literal('batch'),
  items: z.array(batchItem).min(1),
})

export const imageTask = z.strictObject({
  ...common,
  type: z.literal('image'),
  id: id.optional(),
  image: z.union([
    z.strictObject({ path: z.string().min(1) }),
    z.strictObject({ url: z.string().min(1) }),
    z.strictObject({ base64: z.string().min(1) }),
  ]),
})

export const documentFormats = ['txt', 'md', 'html', 'pdf', 'docx', 'json'] as const
export const chunkingStrategies = ['tokens', 'sentences', 'paragraphs'] as const

export const documentTask = z.strictObject({
  ...common,
  type: z.literal('document'),
  document: z.union([
    z.strictObject({ id, content: z.string(), format: z.enum(documentFormats).optional() }),
    z.strictObject({ id, path: z.string().min(1), format: z.enum(documentFormats).optional() }),
    z.strictObject({ id, url: z.string().min(1), format: z.enum(documentFormats).optional() }),
  ]),
  chunking: z
    .strictObject({
      strategy: z.enum(chunkingStrategies).optional(),
      size: z.number().int().positive().optional(),
      overlap: z.number().int().min(0).optional(),
    })
    .optional(),
})

export const taskMessage = z.discriminatedUnion('type', [
  textTask,
  batchTask,
  imageTask,
  documentTask,
])

export type TaskMessage = z.infer<typeof taskMessage>
export type TextTask = z.infer<typeof textTask>
export type BatchTask = z.infer<typeof batchTask>
export type BatchItem = z.infer<typeof batchItem>
export type ImageTask = z.infer<typeof imageTask>
export type DocumentTask = z.infer<typeof documentTask>
export type TaskOf<T extends TaskType> = Extract<TaskMessage, { type: T }>
