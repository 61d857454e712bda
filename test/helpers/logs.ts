/** A logger that keeps every JSON line it writes, raw and parsed, for tests that read logs. */
import { pino } from 'pino'
import type { Logger } from '../../src/observability/logger.ts'

export interface LogLine {
  readonly level: number
  readonly msg: string
  readonly [key: string]: unknown
}

export interface CapturedLogs {
  readonly logger: Logger
  /** Each line as written (a key written twice shows here, not in `lines`). */
  readonly raw: string[]
  readonly lines: LogLine[]
  /** Lines at warn level and above. */
  warnings(): LogLine[]
}

export function captureLogs(level = 'debug'): CapturedLogs {
  const raw: string[] = []
  const lines: LogLine[] = []
  const logger = pino(
    { level },
    {
      write: (s: string) => {
        raw.push(s)
        lines.push(JSON.parse(s) as LogLine)
      },
    },
  )
  return { logger, raw, lines, warnings: () => lines.filter((l) => l.level >= 40) }
}
