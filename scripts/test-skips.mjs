// A node:test reporter for CI runs (scripts/run-tests.mjs adds it under CI=true): lists every
// skipped test with its reason and makes the run fail if there was one. Under CI=true a test that
// skips has not been run, and CI passing would say it had (issue 10). test/helpers/skip.ts fails
// the usual skips at their source; this catches any other (a `t.skip()`, a `{ skip: true }`).
export default async function* skips(source) {
  const skipped = []
  for await (const event of source) {
    if (event.type === 'test:pass' && event.data.skip !== undefined) {
      const reason = event.data.skip === true ? '' : ` (${event.data.skip})`
      skipped.push(`${event.data.file ?? '?'}: ${event.data.name}${reason}`)
    }
  }
  if (skipped.length === 0) return
  process.exitCode = 1
  yield `\nCI=true: ${skipped.length} test(s) skipped, which fails a CI run:\n`
  for (const line of skipped) yield `  ${line}\n`
}
