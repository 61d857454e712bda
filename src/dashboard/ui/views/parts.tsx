/** Small pieces the views share. */
import type { ComponentChildren } from 'preact'
import type { Unavailable } from '../../api-types.ts'

export function isUnavailable(value: unknown): value is Unavailable {
  return typeof value === 'object' && value !== null && 'unavailable' in value
}

export function Notice({
  children,
  kind = 'info',
}: {
  children: ComponentChildren
  kind?: 'info' | 'warn' | 'error'
}) {
  return <p class={`notice notice-${kind}`}>{children}</p>
}

export function Missing({ what, value }: { what: string; value: Unavailable }) {
  return (
    <Notice kind="warn">
      {what} unavailable: {value.unavailable}
    </Notice>
  )
}

export function Tile(props: {
  label: string
  value: string
  detail?: string
  id?: string
  /** Raw numbers behind the shown text, as data-* attributes (for scripts and tests). */
  data?: Record<string, number | undefined>
}) {
  const { label, value, detail, id, data = {} } = props
  const attributes = Object.fromEntries(
    Object.entries(data).flatMap(([k, v]) => (v === undefined ? [] : [[`data-${k}`, String(v)]])),
  )
  return (
    <div class="tile" id={id} {...attributes}>
      <div class="tile-label">{label}</div>
      <div class="tile-value">{value}</div>
      {detail && <div class="tile-detail">{detail}</div>}
    </div>
  )
}

export function Badge({ text, tone }: { text: string; tone: 'ok' | 'warn' | 'bad' | 'muted' }) {
  return <span class={`badge badge-${tone}`}>{text}</span>
}

export function Json({ value }: { value: unknown }) {
  return <pre class="json">{JSON.stringify(value, null, 2)}</pre>
}
