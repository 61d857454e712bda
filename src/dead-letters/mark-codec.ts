/** A handled mark as JSON, the same in `dlq.handled` (local) and on the handled topic (Kafka). */
import type { HandledMark } from './dead-letter.ts'

/** The mark's fields but its id (the Kafka record key; the `id` field of a local line). */
export function markFields(mark: HandledMark): Record<string, unknown> {
  const { state, at, by, taskId, code, replay } = mark
  return { state, at, by, task_id: taskId, code, ...(replay !== undefined && { replay }) }
}

/** The mark these fields describe, or undefined when they are not one (a torn or foreign record). */
export function markFrom(id: unknown, text: string): HandledMark | undefined {
  let value: Partial<Record<string, unknown>>
  try {
    value = JSON.parse(text) as Record<string, unknown>
  } catch {
    return undefined
  }
  const { state, at, by, task_id: taskId, code, replay } = value
  if (typeof id !== 'string' || (state !== 'replayed' && state !== 'discarded')) return undefined
  if (typeof at !== 'string' || typeof by !== 'string' || typeof taskId !== 'string')
    return undefined
  return {
    id,
    state,
    at,
    by,
    taskId,
    code: typeof code === 'string' ? code : '',
    ...(typeof replay === 'number' && { replay }),
  }
}
