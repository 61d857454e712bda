/**
 * `promtool check metrics` (Debian's `prometheus` package), the Prometheus project's own linter
 * of the exposition format. Where it is missing the tests skip, saying so, except in CI
 * (`CI=true`), where a missing promtool fails them: CI installs it (.ci/run).
 */
import { spawnSync } from 'node:child_process'

const PROMTOOL = process.env.VECTORIZE_TEST_PROMTOOL ?? 'promtool'

/** Why promtool cannot run here, or undefined when it can. */
export function promtoolMissing(): string | undefined {
  const probe = spawnSync(PROMTOOL, ['--version'], { encoding: 'utf8' })
  if (probe.status === 0) return undefined
  return `promtool is missing (apt-get install prometheus, or set VECTORIZE_TEST_PROMTOOL): ${probe.error?.message ?? probe.stderr.trim()}`
}

/** Runs `promtool check metrics` on an exposition: its exit code and what it said. */
export function promtoolCheck(exposition: string): { code: number | null; output: string } {
  const run = spawnSync(PROMTOOL, ['check', 'metrics'], { input: exposition, encoding: 'utf8' })
  return { code: run.status, output: `${run.stdout}${run.stderr}`.trim() }
}
