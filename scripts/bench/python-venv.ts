/**
 * The Python that runs Weaviate's official client for bench:stores: a venv with `weaviate-client`
 * from PyPI at exactly WEAVIATE_PY_VERSION, made once and cached in
 * `~/.cache/vectorize/venvs/weaviate-py-<version>` (scripts/python-venv.ts; VECTORIZE_BENCH_VENVS
 * or VECTORIZE_VENVS moves the folder).
 */
import { pythonVenv } from '../python-venv.ts'

/** The Python client the benchmark compares with; bump it deliberately (a new venv is made). */
export const WEAVIATE_PY_VERSION = '4.24.1'

/** The venv's python, made if needed; or why the Python client cannot be measured here. */
export function weaviatePython(
  say: (line: string) => void,
): Promise<{ python: string } | { skip: string }> {
  return pythonVenv(
    {
      name: `weaviate-py-${WEAVIATE_PY_VERSION}`,
      packages: { 'weaviate-client': WEAVIATE_PY_VERSION },
    },
    say,
  )
}
