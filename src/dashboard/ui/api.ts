/** The page's calls to the dashboard's API; actions carry the CSRF token the page came with. */
import type { ActionResultView, Boot } from '../api-types.ts'

const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? ''

export function boot(): Boot {
  const text = document.getElementById('boot')?.textContent ?? '{}'
  return JSON.parse(text) as Boot
}

export class ApiError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, {
    headers: { accept: 'application/json' },
    ...(signal && { signal }),
  })
  return answer<T>(response)
}

export async function act(
  action: 'replay' | 'discard',
  body: { ids: readonly string[] } | { code: string },
): Promise<ActionResultView> {
  const response = await fetch(`/api/dead-letters/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify(body),
  })
  return answer<ActionResultView>(response)
}

async function answer<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => ({}))) as { error?: string }
  if (!response.ok) throw new ApiError(response.status, body.error ?? `HTTP ${response.status}`)
  return body as T
}

export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams()
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== '') search.set(k, String(v))
  const text = search.toString()
  return text ? `?${text}` : ''
}
