/**
 * Resolves the config: defaults < YAML file < environment < flags, validated once. Any invalid
 * value stops start-up with a message naming the setting, the value, where it came from and what
 * is allowed.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import type { z } from 'zod'
import { VectorizeError } from '../worker/errors.ts'
import { envAliases, readEnv } from './env.ts'
import { coerce, listFields, type Field } from './fields.ts'
import { configSchema, type Config } from './schema.ts'

export const DEFAULT_CONFIG_FILE = 'config/worker.yaml'

export interface FlagSetting {
  /** Dotted setting path, e.g. `processing.max_concurrent_tasks`. */
  readonly key: string
  readonly raw: string
  /** How the user wrote it, for messages (`--max-concurrent-tasks`). */
  readonly flag: string
}

export interface ConfigInputs {
  /** `--config`; otherwise `VECTORIZE_WORKER_CONFIG`, otherwise `config/worker.yaml` if present. */
  readonly file?: string | undefined
  readonly env: NodeJS.ProcessEnv
  readonly flags: readonly FlagSetting[]
  readonly cwd: string
}

export interface LoadedConfig {
  readonly config: Config
  /** The YAML file that was read, if any. */
  readonly file: string | undefined
}

type Tree = Record<string, unknown>

export const configFields: readonly Field[] = listFields(configSchema)

export async function loadConfig(inputs: ConfigInputs): Promise<LoadedConfig> {
  const origins = new Map<string, string>()
  const file = resolveFile(inputs)
  const tree: Tree = file ? await readYaml(file, origins) : {}
  for (const { field, name, raw } of envSettings(inputs.env)) {
    setPath(tree, field.path, coerceOrThrow(field, raw, `environment ${name}`))
    origins.set(field.key, `environment ${name}`)
  }
  for (const flag of inputs.flags) {
    const field = configFields.find((f) => f.key === flag.key)
    if (!field) throw configError(`unknown setting ${flag.key} (from ${flag.flag})`)
    setPath(tree, field.path, coerceOrThrow(field, flag.raw, `flag ${flag.flag}`))
    origins.set(field.key, `flag ${flag.flag}`)
  }
  const parsed = configSchema.safeParse(tree)
  if (!parsed.success) throw configError(describeIssues(parsed.error, tree, origins))
  return { config: deepFreeze(parsed.data), file }
}

function resolveFile(inputs: ConfigInputs): string | undefined {
  const explicit = inputs.file ?? inputs.env.VECTORIZE_WORKER_CONFIG
  if (explicit) return resolve(inputs.cwd, explicit)
  const fallback = resolve(inputs.cwd, DEFAULT_CONFIG_FILE)
  return existsSync(fallback) ? fallback : undefined
}

async function readYaml(file: string, origins: Map<string, string>): Promise<Tree> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw configError(`cannot read config file ${file}: ${(err as Error).message}`, err)
  }
  let doc: unknown
  try {
    doc = parseYaml(text, { prettyErrors: true })
  } catch (err) {
    throw configError(`config file ${file} is not valid YAML: ${(err as Error).message}`, err)
  }
  if (doc === null || doc === undefined) return {}
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw configError(`config file ${file} must hold a mapping of sections (worker:, models:, …)`)
  }
  for (const field of configFields) {
    if (getPath(doc as Tree, field.path) !== undefined) origins.set(field.key, `file ${file}`)
  }
  return doc as Tree
}

function envSettings(env: NodeJS.ProcessEnv): ReturnType<typeof readEnv> {
  try {
    return readEnv(configFields, env)
  } catch (err) {
    throw configError((err as Error).message, err)
  }
}

function coerceOrThrow(field: Field, raw: string, origin: string): unknown {
  try {
    return coerce(field, raw)
  } catch (err) {
    throw configError(
      `invalid setting ${field.key}: ${JSON.stringify(raw)} (from ${origin}): ${(err as Error).message}${allowed(field)}`,
    )
  }
}

function allowed(field: Field): string {
  return field.options ? `; allowed: ${field.options.join(', ')}` : ''
}

function describeIssues(error: z.ZodError, tree: Tree, origins: Map<string, string>): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.map(String)
    const key = path.join('.')
    const value = getPath(tree, path)
    // An item of a list (`payload_indexes.0.type`) comes from where the list was set.
    const set = path
      .map((_, i) => path.slice(0, path.length - i).join('.'))
      .find((k) => origins.has(k))
    const origin = (set === undefined ? undefined : origins.get(set)) ?? 'default'
    const shown = value === undefined ? '' : ` = ${JSON.stringify(value)}`
    if (issue.code === 'unrecognized_keys') {
      const where = key ? `in ${key}` : 'at the top level'
      return `unknown setting ${where}: ${issue.keys.join(', ')}`
    }
    return `invalid setting ${key}${shown} (from ${origin}): ${issue.message}`
  })
  return lines.join('\n')
}

function configError(message: string, cause?: unknown): VectorizeError {
  return new VectorizeError('config_invalid', message, { cause })
}

function getPath(tree: Tree, path: readonly string[]): unknown {
  let node: unknown = tree
  for (const part of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, part)) return undefined
    node = (node as Tree)[part]
  }
  return node
}

function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree
  for (const part of path.slice(0, -1)) {
    const next = node[part]
    node = (typeof next === 'object' && next !== null ? next : (node[part] = {})) as Tree
  }
  node[path[path.length - 1] as string] = value
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}

export { envAliases }
