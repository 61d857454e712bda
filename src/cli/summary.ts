/** The end-of-run summary `worker`, `ingest` and `demo` print. */
import type { RunStats } from '../worker/metrics.ts'

export function statsJson(stats: RunStats) {
  const seconds = stats.elapsedMs() / 1000
  return {
    tasks: stats.succeeded + stats.failed,
    succeeded: stats.succeeded,
    failed: stats.failed,
    failures: Object.fromEntries(stats.failures),
    retries: stats.retries,
    dead_letters: stats.deadLetters,
    unfinished: stats.unfinished,
    items: stats.items,
    tokens: stats.tokens,
    seconds: Number(seconds.toFixed(3)),
    tasks_per_second: Number(
      ((stats.succeeded + stats.failed) / Math.max(seconds, 1e-9)).toFixed(1),
    ),
    tokens_per_second: Math.round(stats.tokens / Math.max(seconds, 1e-9)),
  }
}

export function statsText(stats: RunStats): string {
  const s = statsJson(stats)
  const failures = Object.entries(s.failures)
    .map(([code, n]) => `${code} ×${n}`)
    .join(', ')
  const unfinished = s.unfinished > 0 ? `, ${s.unfinished} unfinished (not committed)` : ''
  return [
    `${s.succeeded} succeeded, ${s.failed} failed${failures ? ` (${failures})` : ''}${unfinished} in ${s.seconds.toFixed(1)} s`,
    `${s.tasks_per_second} tasks/s, ${s.items} items, ${s.tokens_per_second} tokens/s`,
  ].join('\n')
}
