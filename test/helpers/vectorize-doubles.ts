/**
 * `vectorize` with test doubles (doubles.ts) put in at the composition root: what
 * `Workspace.start(args, { doubles })` runs instead of bin/vectorize.js. The doubles are read from
 * VECTORIZE_TEST_DOUBLES (JSON), here in test code, never by the product.
 */
import { main } from '../../src/cli/index.ts'
import { decorateWith, type DoublesSpec } from './doubles.ts'

export const DOUBLES_ENV = 'VECTORIZE_TEST_DOUBLES'

const raw = process.env[DOUBLES_ENV]
// node --test may load every file under test/: without the variable there is nothing to do.
if (raw !== undefined) {
  const spec = JSON.parse(raw) as DoublesSpec
  process.exitCode = await main(process.argv.slice(2), { decorate: decorateWith(spec) })
}
