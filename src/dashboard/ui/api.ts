/** The page's calls to the dashboard's API; actions carry the CSRF token the page came with. */
import type { ActionResultView, Boot } from '../api-types.ts'
import { answer } from './answer.ts'

export { ApiError } from './answer.ts'

const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? ''

export function boot(): Boot {
  const text = document.getElementById('boot')?.textContent ?? '{}'
  return JSON.parse(text) as Boot
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

export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams()
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== '') search.set(k, String(v))
  const text = search.toString()
  return text ? `?${text}` : ''
}
