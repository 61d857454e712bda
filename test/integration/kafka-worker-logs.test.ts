/**
 * Issue 10, what an operator reads in a `vectorize worker`'s log on Kafka: a revocation is one
 * line with what the source dropped and what the worker abandoned (it was two, one from each);
 * no line carries a key twice (the Kafka client's lines had `component` twice); an idle worker
 * that is stopped says it drains 0 tasks (it said 1: the slot held while waiting for a message).
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { describeRun } from '../helpers/cli.ts'
import { skipKafka } from '../helpers/kafka.ts'
import { kafkaCluster, textTasks } from '../helpers/kafka-cli.ts'
import { skipUnless } from '../helpers/skip.ts'

type Line = Record<string, unknown>

const lines = (stderr: string): { raw: string; line: Line }[] =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((raw) => ({ raw, line: JSON.parse(raw) as Line }))

/** Keys written more than once in one JSON line (JSON.parse keeps only the last). */
function repeatedKeys(raw: string): string[] {
  const keys = [...raw.matchAll(/[{,]"([^"]+)":/g)].map((m) => m[1]!)
  return keys.filter((k, i) => keys.indexOf(k) !== i)
}

describe(
  'vectorize worker on Kafka (its log)',
  { skip: skipUnless(skipKafka), timeout: 180_000 },
  () => {
    it('should log a revocation once with both sides of it, no key twice, and drain 0 tasks when idle', async (t) => {
      const cluster = await kafkaCluster(t, { partitions: 4 })
      const first = cluster.worker('w-log-1', { VECTORIZE_WORKER_WORKER_LOG_LEVEL: 'debug' })
      await cluster.group.waitForMembers(1, 60_000)
      await cluster.submit(textTasks(40, 'log', 'logs'))
      await cluster.waitFor(
        () => '40 tasks',
        () => cluster.board.succeeded >= 40,
        120_000,
      )
      const second = cluster.worker('w-log-2')
      await cluster.group.waitForMembers(2, 60_000)
      await cluster.group.waitForCommitsAtEnd(30_000)
      const stops = [await first.stop(30_000), await second.stop(30_000)]
      for (const { result } of stops) assert.equal(result.code, 0, describeRun(['worker'], result))

      const log = lines(stops[0]!.result.stderr)
      // while running; at shutdown (`closing`) the worker has already let go and is not asked
      const revoked = log.filter(({ line }) => line.msg === 'partitions revoked' && !line.closing)
      const incomplete = revoked.filter(({ line }) =>
        ['partitions', 'dropped', 'abandoned', 'ms'].some((k) => !(k in line)),
      )
      const twice = log.filter(({ raw }) => repeatedKeys(raw).length > 0)
      const draining = log.filter(({ line }) => line.msg === 'draining').map(({ line }) => line)
      assert.ok(revoked.length > 0, 'the first worker gave partitions to the second')
      // all three at once, so that a failure shows each of them
      assert.deepEqual(
        {
          revocationLinesMissingAField: incomplete.map(({ raw }) => raw),
          linesWithAKeyTwice: twice.slice(0, 2).map(({ raw }) => raw),
          drainingInFlight: draining.map((l) => l.in_flight),
        },
        { revocationLinesMissingAField: [], linesWithAKeyTwice: [], drainingInFlight: [0] },
      )
      const clientLines = log.filter(({ line }) => line.client === 'librdkafka')
      t.diagnostic(
        `${revoked.length} revocation line(s), ${clientLines.length} Kafka client line(s), ` +
          `${log.length} lines checked for repeated keys`,
      )
    })
  },
)
