/** Exit codes that mean something to scripts (sysexits.h where one fits). */
import { VectorizeError, type ErrorCode } from '../worker/errors.ts'

export const exitCodes = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  dataError: 65,
  unavailable: 69,
  /** An unhandled rejection or uncaught exception (a bug): intake stopped, in-flight work not committed. */
  software: 70,
  tempFailure: 75,
  config: 78,
} as const

const byCode: Partial<Record<ErrorCode, number>> = {
  config_invalid: exitCodes.config,
  not_found: exitCodes.notFound,
  invalid_argument: exitCodes.usage,
  model_not_found: exitCodes.unavailable,
  model_load_failed: exitCodes.unavailable,
  redis_unavailable: exitCodes.unavailable,
  unknown_model: exitCodes.unavailable,
  dimension_mismatch: exitCodes.dataError,
  model_mismatch: exitCodes.dataError,
  unhandled_error: exitCodes.software,
}

export function exitCodeOf(err: unknown): number {
  if (!(err instanceof VectorizeError)) return exitCodes.failure
  return byCode[err.code] ?? (err.retriable ? exitCodes.tempFailure : exitCodes.failure)
}
