/**
 * What a SIGHUP reload may change: the settings below are applied at run time; a change to any
 * other setting is reported as needing a restart and is not applied.
 */
import { configFields } from './load.ts'
import { secretPaths, type Config } from './schema.ts'

export const liveSettings = [
  'worker.log_level',
  'processing.max_concurrent_tasks',
  'processing.max_batch_tokens',
  'redis.heartbeat_interval_ms',
] as const

export type LiveSetting = (typeof liveSettings)[number]

export interface Change {
  readonly key: string
  readonly from: unknown
  readonly to: unknown
  /** Applied at run time; otherwise it takes a restart. */
  readonly live: boolean
}

/** Every leaf setting whose value differs, in schema order. */
export function diffConfig(before: Config, after: Config): Change[] {
  return configFields.flatMap((field) => {
    const from = valueAt(before, field.path)
    const to = valueAt(after, field.path)
    if (JSON.stringify(from) === JSON.stringify(to)) return []
    const live = (liveSettings as readonly string[]).includes(field.key)
    return [{ key: field.key, from, to, live }]
  })
}

export function valueAt(config: Config, path: readonly string[]): unknown {
  let node: unknown = config
  for (const part of path) node = (node as Record<string, unknown> | undefined)?.[part]
  return node
}

type LiveValues = {
  'worker.log_level': Config['worker']['log_level']
  'processing.max_concurrent_tasks': number
  'processing.max_batch_tokens': number
  'redis.heartbeat_interval_ms': number
}

type Apply<K extends LiveSetting> = (value: LiveValues[K]) => void | Promise<void>

export interface ReloadLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/**
 * The running config and its SIGHUP reload: the file is read again with the start-up loader; an
 * invalid one is refused and the settings in force stay. Parts register how to apply a live
 * setting with `on` (the Redis heartbeat registers `redis.heartbeat_interval_ms`).
 */
export class LiveConfig {
  #current: Config
  readonly #load: () => Promise<Config>
  readonly #logger: ReloadLogger
  readonly #appliers = new Map<LiveSetting, ((value: unknown) => void | Promise<void>)[]>()
  #reloading: Promise<Change[] | undefined> = Promise.resolve(undefined)

  constructor(config: Config, load: () => Promise<Config>, logger: ReloadLogger) {
    this.#current = config
    this.#load = load
    this.#logger = logger
  }

  /** The settings in force: the start-up config with the live settings reloaded since. */
  get current(): Config {
    return this.#current
  }

  on<K extends LiveSetting>(key: K, apply: Apply<K>): void {
    const list = this.#appliers.get(key) ?? []
    list.push(apply as (value: unknown) => void | Promise<void>)
    this.#appliers.set(key, list)
  }

  /** Reloads (one at a time); resolves with the changes found, or undefined if the file was refused. */
  reload(): Promise<Change[] | undefined> {
    this.#reloading = this.#reloading.then(() => this.#reload())
    return this.#reloading
  }

  async #reload(): Promise<Change[] | undefined> {
    let next: Config
    try {
      next = await this.#load()
    } catch (err) {
      const reason = (err as Error).message
      this.#logger.error({ reason }, `reload refused, settings unchanged: ${reason}`)
      return undefined
    }
    const changes = diffConfig(this.#current, next)
    const updated = structuredClone(this.#current) as Record<string, Record<string, unknown>>
    for (const change of changes.filter((c) => c.live)) {
      for (const apply of this.#appliers.get(change.key as LiveSetting) ?? []) {
        await Promise.resolve(apply(change.to)).catch((err: unknown) =>
          this.#logger.error({ key: change.key }, `applying ${change.key} failed: ${String(err)}`),
        )
      }
      const [section, leaf] = change.key.split('.') as [string, string]
      updated[section]![leaf] = change.to
    }
    this.#current = updated as unknown as Config
    this.#log(changes)
    return changes
  }

  #log(changes: readonly Change[]): void {
    const shown = changes.map((c) => ({ ...c, ...(isSecret(c.key) && { from: '***', to: '***' }) }))
    const applied = shown.filter((c) => c.live)
    const restart = shown.filter((c) => !c.live)
    const summary = (list: typeof shown) => list.map((c) => c.key).join(', ') || 'none'
    this.#logger.info(
      { applied, needs_restart: restart },
      `config reloaded: applied ${summary(applied)}; needs a restart: ${summary(restart)}`,
    )
    if (restart.length > 0)
      this.#logger.warn(
        { needs_restart: restart.map((c) => c.key) },
        `changed settings that take effect only after a restart: ${summary(restart)}`,
      )
  }
}

function isSecret(key: string): boolean {
  return (secretPaths as readonly string[]).includes(key)
}
