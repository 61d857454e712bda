/** What every benchmark row holds, and how passes are repeated within a time budget. */
import { performance } from 'node:perf_hooks'

export interface Row {
  readonly workload: string
  readonly name: string
  /** Texts (or tasks' items) per pass. */
  readonly texts: number
  /** Tasks per pass (end to end only). */
  readonly tasks?: number
  /** Real tokens per pass (special tokens included, after truncation). */
  readonly tokens: number
  /** Wall time of every pass, ms. */
  readonly passesMs: readonly number[]
  /** Process CPU time (all threads: ORT's pool, LanceDB's, the inference thread) of every pass, ms. */
  readonly cpuMs: readonly number[]
  /** Extra figures for the notes (end to end: load, publish, per-task timings). */
  readonly extra?: Readonly<Record<string, number | string>>
}

export interface Rates {
  /** Median pass. */
  readonly ms: number
  readonly textsPerSec: number
  readonly tokensPerSec: number
  /** Fastest pass. */
  readonly bestTokensPerSec: number
  readonly tasksPerSec?: number
  /** CPU seconds per wall second over all passes: 2 = both cores busy (or spinning). */
  readonly cores: number
}

/** Nearest-rank percentile (`p` in 0..100); 0 for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0)

export function rates(row: Row): Rates {
  const ms = median(row.passesMs)
  const best = Math.min(...row.passesMs)
  return {
    ms,
    textsPerSec: (row.texts / ms) * 1000,
    tokensPerSec: (row.tokens / ms) * 1000,
    bestTokensPerSec: (row.tokens / best) * 1000,
    ...(row.tasks !== undefined && { tasksPerSec: (row.tasks / ms) * 1000 }),
    cores: sum(row.cpuMs) / sum(row.passesMs),
  }
}

export interface Timed {
  readonly passesMs: number[]
  readonly cpuMs: number[]
}

/** Wall and process CPU time of one run of `fn`. */
export async function timed(fn: () => Promise<void>): Promise<{ ms: number; cpuMs: number }> {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await fn()
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 }
}

/**
 * Runs `pass` until `seconds` have gone by (at least once, at most `maxPasses` times) and returns
 * each pass's wall and CPU time. The machine may be shared and noisy: rows report the median pass.
 */
export async function repeat(
  seconds: number,
  maxPasses: number,
  pass: () => Promise<void>,
): Promise<Timed> {
  const out: Timed = { passesMs: [], cpuMs: [] }
  const started = performance.now()
  do {
    const { ms, cpuMs } = await timed(pass)
    out.passesMs.push(ms)
    out.cpuMs.push(cpuMs)
  } while (out.passesMs.length < maxPasses && performance.now() - started < seconds * 1000)
  return out
}
