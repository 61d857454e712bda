/**
 * Turns message bytes into a validated task, or a VectorizeError with a stable code that says what
 * was wrong and where. Parsing rejects `__proto__`/`constructor.prototype` keys outright (SPEC §6,
 * prototype pollution) instead of silently dropping them.
 */
import sjson from 'secure-json-parse'
import type { z } from 'zod'
import { VectorizeError } from '../worker/errors.ts'
import { PROTOCOL_VERSION, taskMessage, taskTypes, type TaskMessage } from './task.ts'
import type { TaskType } from './task.ts'

export interface MessageLimits {
  readonly max_message_bytes: number
  readonly max_text_bytes: number
  readonly max_batch_items: number
  readonly max_metadata_bytes: number
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/** Parses JSON text safely; the error codes are `invalid_json` and `unsafe_json`. */
export function parseJson(bytes: Uint8Array, maxBytes: number): unknown {
  if (bytes.byteLength > maxBytes) {
    throw new VectorizeError(
      'input_too_large',
      `message is ${bytes.byteLength} bytes; the limit is ${maxBytes}`,
    )
  }
  let text: string
  try {
    text = decoder.decode(bytes)
  } catch (err) {
    throw new VectorizeError('invalid_json', 'message is not valid UTF-8', { cause: err })
  }
  try {
    return sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
  } catch (err) {
    if (err instanceof SyntaxError && /prototype/i.test(err.message)) {
      throw new VectorizeError(
        'unsafe_json',
        'message contains a forbidden key (__proto__ or constructor.prototype)',
        { cause: err },
      )
    }
    throw new VectorizeError(
      'invalid_json',
      `message is not valid JSON: ${(err as Error).message}`,
      { cause: err },
    )
  }
}

/** Best-effort task id of a message that failed validation, for its `failed` status. */
export function taskIdOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const id = (value as { task_id?: unknown }).task_id
  return typeof id === 'string' && id.length > 0 && id.length <= 512 ? id : undefined
}

/** The task type of a message that failed validation, where it names a known one (for metrics). */
export function taskTypeOf(value: unknown): TaskType | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const type = (value as { type?: unknown }).type
  return (taskTypes as readonly unknown[]).includes(type) ? (type as TaskType) : undefined
}

export function parseTask(bytes: Uint8Array, limits: MessageLimits): TaskMessage {
  return validateTask(parseJson(bytes, limits.max_message_bytes), limits)
}

/** Validates parsed JSON against the v1 schema and the configured limits. */
export function validateTask(value: unknown, limits: MessageLimits): TaskMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new VectorizeError('invalid_task', 'message must be a JSON object')
  }
  const { version, type } = value as { version?: unknown; type?: unknown }
  if (version !== undefined && version !== PROTOCOL_VERSION) {
    throw new VectorizeError(
      'unsupported_version',
      `version ${JSON.stringify(version)} is not supported; this worker speaks version ${PROTOCOL_VERSION}`,
    )
  }
  if (typeof type !== 'string' || !(taskTypes as readonly string[]).includes(type)) {
    throw new VectorizeError(
      'invalid_task',
      `type: ${JSON.stringify(type)} is not a task type; expected one of ${taskTypes.join(', ')}`,
    )
  }
  const parsed = taskMessage.safeParse(value)
  if (!parsed.success) throw fromZod(parsed.error)
  checkLimits(parsed.data, limits)
  return parsed.data
}

function fromZod(error: z.ZodError): VectorizeError {
  const first = error.issues[0]
  const where = (issue: z.core.$ZodIssue) =>
    issue.path.length > 0 ? issue.path.join('.') : 'message'
  const message = error.issues
    .slice(0, 5)
    .map((issue) => `${where(issue)}: ${issue.message}`)
    .join('; ')
  const missingId = first?.path.length === 1 && first.path[0] === 'task_id'
  return new VectorizeError(
    'invalid_task',
    missingId ? `task_id: required string is missing or invalid (${first.message})` : message,
  )
}

const byteLength = (s: string) => Buffer.byteLength(s, 'utf8')

function checkLimits(task: TaskMessage, limits: MessageLimits): void {
  checkMetadata(task.metadata, 'metadata', limits)
  if (task.type === 'text') checkText(task.text, 'text', limits)
  if (task.type === 'batch') {
    if (task.items.length > limits.max_batch_items) {
      throw new VectorizeError(
        'input_too_large',
        `items: ${task.items.length} items; the limit is ${limits.max_batch_items}`,
      )
    }
    task.items.forEach((item, i) => {
      checkText(item.text, `items.${i}.text`, limits)
      checkMetadata(item.metadata, `items.${i}.metadata`, limits)
    })
  }
}

function checkText(text: string, where: string, limits: MessageLimits): void {
  if (text.trim() === '')
    throw new VectorizeError('empty_text', `${where}: text is empty`, { details: { where } })
  const size = byteLength(text)
  if (size > limits.max_text_bytes) {
    throw new VectorizeError(
      'input_too_large',
      `${where}: text is ${size} bytes; the limit is ${limits.max_text_bytes} (processing.max_text_bytes)`,
      { details: { where } },
    )
  }
}

function checkMetadata(metadata: unknown, where: string, limits: MessageLimits): void {
  if (metadata === undefined) return
  const size = byteLength(JSON.stringify(metadata))
  if (size > limits.max_metadata_bytes) {
    throw new VectorizeError(
      'input_too_large',
      `${where}: metadata is ${size} bytes; the limit is ${limits.max_metadata_bytes} (processing.max_metadata_bytes)`,
    )
  }
}
