/** Hash routes (`#/dead-letters?code=x`): shareable links, and back/forward work. */
import { useEffect, useState } from 'preact/hooks'

export const tabs = [
  ['overview', 'Overview'],
  ['workers', 'Workers'],
  ['tasks', 'Tasks'],
  ['dead-letters', 'Dead letters'],
  ['collections', 'Collections'],
  ['config', 'Config'],
] as const

export type Tab = (typeof tabs)[number][0]

export interface Route {
  readonly tab: Tab
  readonly params: URLSearchParams
}

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?')
  const tab: Tab = tabs.find(([id]) => id === path)?.[0] ?? 'overview'
  return { tab, params: new URLSearchParams(search) }
}

export function href(tab: Tab, params: Record<string, string | undefined> = {}): string {
  const search = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, v)
  const text = search.toString()
  return `#/${tab}${text ? `?${text}` : ''}`
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash))
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash))
    window.addEventListener('hashchange', onChange)
    return () => window.removeEventListener('hashchange', onChange)
  }, [])
  return route
}
