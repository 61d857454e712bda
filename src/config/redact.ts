/** Secrets never leave the process in clear: `config print` and logs show them redacted. */
import { secretPaths, type Config } from './schema.ts'

const REDACTED = '***'

export function redactConfig(config: Config): unknown {
  const copy = structuredClone(config) as Record<string, unknown>
  for (const path of secretPaths) {
    const parts = path.split('.')
    const parent = parts
      .slice(0, -1)
      .reduce<unknown>((node, p) => (node as Record<string, unknown>)?.[p], copy)
    const leaf = parts[parts.length - 1] as string
    if (typeof parent !== 'object' || parent === null) continue
    const value = (parent as Record<string, unknown>)[leaf]
    if (typeof value === 'string' && value !== '') {
      ;(parent as Record<string, unknown>)[leaf] = redactValue(value)
    }
  }
  return copy
}

/** URLs keep their host so an operator can still see where they point; only the password goes. */
function redactValue(value: string): string {
  try {
    const url = new URL(value)
    if (!url.password) return value
    url.password = REDACTED
    return url.toString()
  } catch {
    return REDACTED
  }
}
