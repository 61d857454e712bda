/** What every command starts from: the resolved config, a logger, resources to release, output. */
import type { Command } from 'commander'
import { loadConfig, type FlagSetting } from '../config/load.ts'
import type { Config } from '../config/schema.ts'
import { Resources, type Deps } from '../main.ts'
import { VectorizeError } from '../worker/errors.ts'
import { createLogger, type LogLevel } from '../observability/logger.ts'

export interface GlobalOptions {
  readonly config?: string
  readonly set: readonly string[]
  readonly workerId?: string
  readonly device?: string
  readonly maxConcurrentTasks?: string
  readonly logLevel?: string
  readonly json?: boolean
}

export interface CommandContext extends Deps {
  readonly json: boolean
  readonly configFile: string | undefined
  /** Reads the config again from the same file, environment and flags (SIGHUP). */
  readonly reloadConfig: () => Promise<Config>
  /** Prints `data` as JSON with --json, otherwise the human rendering. */
  print(data: unknown, human: () => string): void
}

const flagKeys: readonly [keyof GlobalOptions, string, string][] = [
  ['workerId', 'worker.id', '--worker-id'],
  ['device', 'models.device', '--device'],
  ['maxConcurrentTasks', 'processing.max_concurrent_tasks', '--max-concurrent-tasks'],
  ['logLevel', 'worker.log_level', '--log-level'],
]

export function flagSettings(options: GlobalOptions): FlagSetting[] {
  const named = flagKeys.flatMap(([opt, key, flag]) => {
    const raw = options[opt]
    return typeof raw === 'string' ? [{ key, raw, flag }] : []
  })
  const set = options.set.map((pair) => {
    const eq = pair.indexOf('=')
    if (eq <= 0)
      throw new VectorizeError(
        'invalid_argument',
        `--set expects key=value, got ${JSON.stringify(pair)}`,
      )
    return { key: pair.slice(0, eq), raw: pair.slice(eq + 1), flag: `--set ${pair.slice(0, eq)}` }
  })
  return [...named, ...set]
}

export interface ContextOptions {
  /** Settings a command imposes over the user's (the demo's model fallback). */
  readonly overrides?: readonly FlagSetting[]
  /** Log level when the user did not choose one: commands other than `worker` stay quiet. */
  readonly quietLogs?: boolean
}

export async function commandContext(
  command: Command,
  options: ContextOptions = {},
): Promise<CommandContext> {
  const globals = command.optsWithGlobals<GlobalOptions>()
  const inputs = {
    file: globals.config,
    env: process.env,
    flags: [...flagSettings(globals), ...(options.overrides ?? [])],
    cwd: process.cwd(),
  }
  const loaded = await loadConfig(inputs)
  const config: Config = loaded.config
  const chosen = globals.logLevel ?? process.env.VECTORIZE_WORKER_WORKER_LOG_LEVEL
  const level: LogLevel = options.quietLogs && !chosen ? 'warn' : config.worker.log_level
  const json = globals.json === true
  return {
    config,
    configFile: loaded.file,
    reloadConfig: async () => (await loadConfig(inputs)).config,
    logger: createLogger({ level }),
    resources: new Resources(),
    json,
    print: (data, human) =>
      process.stdout.write((json ? JSON.stringify(data, null, 2) : human()) + '\n'),
  }
}
