/**
 * The Python test tools of the e2e tier, prepared by the test command itself (issue 10: `npm test`
 * on a fresh clone needed `prometheus-client` installed by hand): a venv with
 *   prometheus-client  the Prometheus project's own parser of the text format, which the metrics
 *                      test reads /metrics with (test/helpers/prometheus.ts)
 *   qdrant-edge-py     Qdrant's engine as a library, behind the Qdrant stand-in
 *                      (test/e2e/stores/qdrant-edge.test.ts)
 * at pinned versions, made on first use in ~/.cache/vectorize/venvs/test-tools-<pins> (PyPI,
 * once) and reused after (scripts/python-venv.ts). A variable already set (VECTORIZE_TEST_PYTHON,
 * VECTORIZE_QDRANT_EDGE_PYTHON) is kept. Without python3 or PyPI nothing is set, and the tests
 * that need the tools skip saying why (fail under CI=true).
 */
import { pythonVenv } from './python-venv.ts'

export const TEST_TOOLS = {
  'prometheus-client': '0.26.0',
  'qdrant-edge-py': '0.9.0',
} as const

/** The variables that point the tests at the tools; empty when they cannot be had here. */
export async function testTools(
  env: NodeJS.ProcessEnv,
  say: (line: string) => void,
): Promise<Record<string, string>> {
  const wanted = ['VECTORIZE_TEST_PYTHON', 'VECTORIZE_QDRANT_EDGE_PYTHON'].filter(
    (name) => (env[name] ?? '') === '',
  )
  if (wanted.length === 0) return {}
  const pins = Object.entries(TEST_TOOLS).map(([name, version]) => `${name}-${version}`)
  const venv = await pythonVenv({ name: `test-tools-${pins.join('-')}`, packages: TEST_TOOLS }, say)
  if ('skip' in venv) {
    say(`not available (${venv.skip}); the tests that need them skip`)
    return {}
  }
  return Object.fromEntries(wanted.map((name) => [name, venv.python]))
}
