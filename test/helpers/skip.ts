/**
 * What a missing service or tool means for a test, decided here and nowhere else (issue 10: in CI
 * a suite that skips for want of its service is a failure, not a pass).
 *
 * Helpers say why something is missing (`skipKafka`, `skipRedis`, `promtoolMissing()`...: a
 * reason, or false when it is there); a test passes those reasons to `skipUnless` in its `skip`
 * option. On a developer's machine the test skips and node:test prints the reason. Under
 * `CI=true` it throws instead, so the file fails with the reason: CI provides every service and
 * tool (.ci/run), and a CI run that skipped a suite has not tested it. scripts/run-tests.mjs also
 * fails a CI run in which any test was skipped, whatever the way, as a backstop.
 */

type Missing = string | false | undefined

/** True when this process runs under CI (`CI=true`, as .ci/run and most CI services set it). */
export const underCi = process.env.CI === 'true'

/**
 * The `skip` option of a test that needs what each argument says is missing (false or undefined:
 * that one is there): the first reason, or false when nothing is missing. Under CI=true a reason
 * is thrown instead. Call it where the test is declared (a helper module's top level would throw
 * in every file that imports it).
 */
export function skipUnless(...missing: readonly Missing[]): string | false {
  const why = missing.find((m): m is string => typeof m === 'string' && m !== '')
  if (why === undefined) return false
  if (underCi) {
    throw new Error(
      `CI=true and a test's prerequisite is missing: ${why}. CI must run every tier; ` +
        'provide it (as .ci/run does), or run without CI=true to skip it',
    )
  }
  return why
}
