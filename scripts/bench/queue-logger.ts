/** A logger for bench-queue: counts messages by text (compactions, retention passes), prints warnings. */
import type { Logger } from '../../src/observability/logger.ts'

export interface CountingLogger extends Logger {
  count(message: string): number
}

export function countingLogger(): CountingLogger {
  const counts = new Map<string, number>()
  const note = (print: boolean) => (first: object | string, message?: string) => {
    const text = typeof first === 'string' ? first : (message ?? '')
    counts.set(text, (counts.get(text) ?? 0) + 1)
    if (print)
      process.stderr.write(`${text} ${typeof first === 'string' ? '' : JSON.stringify(first)}\n`)
  }
  const logger: CountingLogger = {
    level: 'info',
    fatal: note(true),
    error: note(true),
    warn: note(true),
    info: note(false),
    debug: () => undefined,
    trace: () => undefined,
    child: () => logger,
    count: (message) => counts.get(message) ?? 0,
  }
  return logger
}
