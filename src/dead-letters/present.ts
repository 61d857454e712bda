/**
 * A dead letter as JSON for people and scripts (`vectorize dlq --json`, the dashboard's API): the
 * payload pretty-printable when it is JSON, as text when it is other UTF-8, as base64 otherwise —
 * never raw bytes in a terminal or a page.
 */
import type { Letter } from './dead-letter.ts'

export interface ShownBytes {
  readonly bytes: number
  /** The payload parsed, when it is JSON. */
  readonly json?: unknown
  /** The payload as text, when it is UTF-8 (cut to `maxText` characters in previews). */
  readonly text?: string
  readonly base64?: string
  /** Shown cut short (a preview). */
  readonly cut?: boolean
}

export interface ShownLetter {
  readonly id: string
  readonly partition: number
  readonly offset: number
  readonly at: string
  readonly state: Letter['state']
  readonly handled?: Letter['handled']
  readonly replays: number
  readonly task_id: string
  readonly error: Letter['error']
  readonly origin: Letter['origin']
  readonly attempts: number
  readonly worker_id: string
  readonly headers: Letter['headers']
  readonly key?: ShownBytes
  readonly payload: ShownBytes
  readonly truncated?: Letter['truncated']
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** `preview`: the payload's text cut to this many characters, no parsed JSON (list views). */
export function showLetter(letter: Letter, preview?: number): ShownLetter {
  return {
    id: letter.id,
    partition: letter.partition,
    offset: letter.offset,
    at: letter.at,
    state: letter.state,
    ...(letter.handled && { handled: letter.handled }),
    replays: letter.replays,
    task_id: letter.taskId,
    error: letter.error,
    origin: letter.origin,
    attempts: letter.attempts,
    worker_id: letter.workerId,
    headers: letter.headers,
    ...(letter.key && { key: showBytes(letter.key) }),
    payload: showBytes(letter.value, preview),
    ...(letter.truncated && { truncated: letter.truncated }),
  }
}

export function showBytes(bytes: Uint8Array, preview?: number): ShownBytes {
  let text: string
  try {
    text = strictUtf8.decode(bytes)
  } catch {
    const shown = preview === undefined ? bytes : bytes.subarray(0, preview)
    const base64 = Buffer.from(shown).toString('base64')
    return { bytes: bytes.length, base64, ...(shown.length < bytes.length && { cut: true }) }
  }
  if (preview !== undefined) {
    const cut = text.length > preview
    return { bytes: bytes.length, text: cut ? text.slice(0, preview) : text, ...(cut && { cut }) }
  }
  const json = parse(text)
  return { bytes: bytes.length, text, ...(json.ok && { json: json.value }) }
}

function parse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return { ok: false }
  }
}
