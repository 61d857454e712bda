/** The logger the core sees: pino's shape, so `pino()` satisfies it and tests can pass a silent one. */
import { pino } from 'pino'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface LogFn {
  (obj: object, msg?: string): void
  (msg: string): void
}

export interface Logger {
  fatal: LogFn
  error: LogFn
  warn: LogFn
  info: LogFn
  debug: LogFn
  trace: LogFn
  child(bindings: Record<string, unknown>): Logger
  level: string
}

export interface LoggerOptions {
  readonly level: LogLevel
  /** Where JSON lines go; stderr by default so stdout stays clean for `--json` output. */
  readonly destination?: number
}

/** Synchronous writes: the last lines before a crash or a forced exit are the ones that matter. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    { level: options.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: options.destination ?? 2, sync: true }),
  )
}

export const silentLogger: Logger = pino({ level: 'silent' })
