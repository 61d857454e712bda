/**
 * Environment variables: `VECTORIZE_WORKER_` + the setting's path joined by `_`, upper-cased
 * (`processing.max_batch_tokens` → `VECTORIZE_WORKER_PROCESSING_MAX_BATCH_TOKENS`). The seed's
 * short names are aliases. An unknown variable with the prefix is an error, so typos don't pass
 * silently.
 */
import type { Field } from './fields.ts'

export const ENV_PREFIX = 'VECTORIZE_WORKER_'

/** The seed's names (seed §6), kept working alongside the derived ones. */
export const envAliases: Readonly<Record<string, string>> = {
  VECTORIZE_WORKER_DEVICE: 'models.device',
  VECTORIZE_WORKER_MAX_CONCURRENT_TASKS: 'processing.max_concurrent_tasks',
  VECTORIZE_WORKER_CONFIG: '', // the config file path, read by load.ts, not a setting
}

export function envName(field: Field): string {
  return ENV_PREFIX + field.path.join('_').toUpperCase()
}

export interface EnvSetting {
  readonly field: Field
  readonly name: string
  readonly raw: string
}

/** Maps env vars to settings; aliases apply first so a derived name set too wins. */
export function readEnv(fields: readonly Field[], env: NodeJS.ProcessEnv): EnvSetting[] {
  const byName = new Map(fields.map((f) => [envName(f), f]))
  const byKey = new Map(fields.map((f) => [f.key, f]))
  const aliased: EnvSetting[] = []
  const direct: EnvSetting[] = []
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue
    const aliasKey = envAliases[name]
    if (aliasKey === '') continue
    const field = aliasKey ? byKey.get(aliasKey) : byName.get(name)
    if (!field) throw new Error(unknownEnvMessage(name, [...byName.keys()]))
    ;(aliasKey ? aliased : direct).push({ field, name, raw })
  }
  return [...aliased, ...direct]
}

function unknownEnvMessage(name: string, known: readonly string[]): string {
  const near = known.filter((k) => similarity(k, name) > 0.6).slice(0, 3)
  const hint = near.length > 0 ? `; did you mean ${near.join(', ')}?` : ''
  return `unknown environment variable ${name}${hint} (see docs/configuration.md)`
}

/** Share of common bigrams: cheap and good enough to suggest a near name. */
function similarity(a: string, b: string): number {
  const grams = (s: string) =>
    new Set(Array.from({ length: s.length - 1 }, (_, i) => s.slice(i, i + 2)))
  const ga = grams(a)
  const gb = grams(b)
  let common = 0
  for (const g of ga) if (gb.has(g)) common++
  return (2 * common) / (ga.size + gb.size || 1)
}
