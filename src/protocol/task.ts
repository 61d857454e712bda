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

const fieldPath = z
  .string()
  .regex(/^[^.]+(\.[^.]+)*$/, 'a field name or dotted path, e.g. "body" or "post.title"')
  .max(256)
/** JSON documents: which fields are text and which are copied into chunk metadata. */
export const documentFields = z.strictObject({
  text: z.array(fieldPath).min(1).max(64),
  metadata: z.array(fieldPath).max(64).optional(),
})
const documentCommon = {
  id,
  format: z.enum(documentFormats).optional(),
  fields: documentFields.optional(),
}

export const documentTask = z.strictObject({
  ...common,
  type: z.literal('document'),
  document: z.union([
    /** `content` is the text itself, or base64 for pdf and docx. */
    z.strictObject({ ...documentCommon, content: z.string() }),
    z.strictObject({ ...documentCommon, path: z.string().min(1) }),
    z.strictObject({ ...documentCommon, url: z.string().min(1) }),
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
