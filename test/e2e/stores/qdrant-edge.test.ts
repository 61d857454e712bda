/**
 * The store contract on the Qdrant stand-in with Qdrant's own engine behind it (Qdrant Edge, PyPI
 * `qdrant-edge-py`, in a Python child process) instead of the in-memory one. In the e2e tier
 * because it needs Python: scripts/run-tests.mjs makes the test-tools venv that has it
 * (scripts/test-tools.ts) and points VECTORIZE_QDRANT_EDGE_PYTHON at it. The in-memory stand-in
 * runs the same contract in the fast tier (test/stores/qdrant.test.ts).
 */
import { describe } from 'node:test'
import { edgePython } from '../../helpers/qdrant-standin-edge.ts'
import { skipUnless } from '../../helpers/skip.ts'
import { storeContract } from '../../stores/contract.ts'
import { noOpenApi, standInHandle } from '../../stores/qdrant-helpers.ts'

const edge = edgePython()
const skip = skipUnless(noOpenApi, 'skip' in edge && edge.skip)
if (skip === false && 'python' in edge) {
  storeContract('qdrant (stand-in on Qdrant Edge)', () => standInHandle({}, {}, edge.python))
} else {
  describe('qdrant (stand-in on Qdrant Edge) store contract', { skip }, () => {})
}
