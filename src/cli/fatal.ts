/**
 * The process-level net for errors nothing awaited: an unhandled rejection or an uncaught
 * exception. Node's default ends the process on the spot (exit 1) — or aborts it (exit 134) when
 * the inference thread is inside an ONNX run — with in-flight work left to chance (issue 10).
 * Here it is recorded instead: whoever listens stops its intake (the worker, see main.ts), the
 * command ends and releases its resources, and the CLI exits `unhandled_error`'s code (70).
 */
import { VectorizeError } from '../worker/errors.ts'

export type FatalOrigin = 'uncaughtException' | 'unhandledRejection'

/** Calls `listener` for each unhandled rejection or uncaught exception until the returned function is called. */
export function onFatalError(
  listener: (error: VectorizeError, origin: FatalOrigin) => void,
): () => void {
  const onException = (err: unknown) =>
    listener(unhandledError(err, 'uncaughtException'), 'uncaughtException')
  const onRejection = (reason: unknown) =>
    listener(unhandledError(reason, 'unhandledRejection'), 'unhandledRejection')
  process.on('uncaughtException', onException)
  process.on('unhandledRejection', onRejection)
  return () => {
    process.off('uncaughtException', onException)
    process.off('unhandledRejection', onRejection)
  }
}

export function unhandledError(err: unknown, origin: FatalOrigin): VectorizeError {
  const what = origin === 'uncaughtException' ? 'uncaught exception' : 'unhandled rejection'
  const message = err instanceof Error ? err.message : String(err)
  return new VectorizeError('unhandled_error', `${what}: ${message}`, { cause: err })
}

/** How long the command gets to stop after the first fatal error before the process is ended anyway. */
export const FATAL_EXIT_AFTER_MS = 30_000

/**
 * The CLI's watch over one command: remembers the first fatal error (the command's result once it
 * ends) and writes each to stderr with its stack. If the command does not end within
 * `FATAL_EXIT_AFTER_MS` (the error left it stuck), the process exits with `code` regardless.
 */
export class FatalWatch {
  #first: VectorizeError | undefined
  readonly #stop: () => void

  constructor(code: number) {
    this.#stop = onFatalError((error) => {
      const stack = error.cause instanceof Error ? error.cause.stack : undefined
      process.stderr.write(`vectorize: ${error.code}: ${stack ?? error.message}\n`)
      if (this.#first) return
      this.#first = error
      setTimeout(() => process.exit(code), FATAL_EXIT_AFTER_MS).unref()
    })
  }

  get error(): VectorizeError | undefined {
    return this.#first
  }

  close(): void {
    this.#stop()
  }
}
