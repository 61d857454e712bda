/**
 * Acceptance 2 of issue 3, worker crash: two `vectorize worker` processes share 10,000 tasks; once
 * a good share has succeeded, one is killed with SIGKILL and a replacement is started. Nothing is
 * lost (every task ends with a `succeeded` status, the group's commits reach the end of every
 * partition) and nothing is duplicated (one vector per task in the shared LanceDB collection).
 * Tasks the dead worker had in flight or done-but-uncommitted are processed again — allowed, they
 * overwrite their own vectors — and counted, with the time the group took to recover.
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { describeRun } from '../helpers/cli.ts'
import { readToEnd, skipKafka } from '../helpers/kafka.ts'
import type { StatusBoard } from '../helpers/kafka-cli.ts'
import { assertExactlyOnceStored, kafkaCluster, textTasks } from '../helpers/kafka-cli.ts'

const TASKS = 10_000
/** Succeeded tasks before the kill: well past start-up, far from the end. */
const KILL_AT = 3_000
const COLLECTION = 'crash'
/** The session timeout of the workers: how long the group takes to notice the dead one. */
const SESSION_TIMEOUT_MS = 10_000

describe('vectorize worker on Kafka (crash)', { skip: skipKafka, timeout: 300_000 }, () => {
  it('should lose and duplicate nothing when a worker is killed with SIGKILL mid-stream', async (t) => {
    const cluster = await kafkaCluster(t, { partitions: 6, sessionTimeoutMs: SESSION_TIMEOUT_MS })
    const { board } = cluster
    const victim = cluster.worker('w-1')
    const survivor = cluster.worker('w-2')
    await cluster.group.waitForMembers(2, 60_000)
    await cluster.submit(textTasks(TASKS, 'crash', COLLECTION))
    await cluster.waitFor(
      () => `${KILL_AT} tasks to succeed before the kill (${board.succeeded} did)`,
      () => board.succeeded >= KILL_AT,
      120_000,
    )

    const killedAt = Date.now()
    const killed = await victim.kill()
    assert.equal(killed.signal, 'SIGKILL', describeRun(['worker'], killed))
    const doneAtKill = board.succeeded
    assert.ok(doneAtKill < TASKS, `the kill came mid-stream (${doneAtKill} done)`)
    const replacement = cluster.worker('w-3')
    await cluster.waitFor(
      () => `all ${TASKS} tasks to succeed after the kill (${board.succeeded} did)`,
      () => board.succeeded >= TASKS,
      180_000,
    )
    const completedAt = Date.now()
    await cluster.group.waitForCommitsAtEnd(30_000)
    for (const w of [survivor, replacement]) {
      const { result } = await w.stop(30_000)
      assert.equal(result.code, 0, describeRun(['worker'], result))
    }

    const { topics } = cluster.settings
    const ids = Array.from({ length: TASKS }, (_, i) => `crash-${i}`)
    const { final, results } = await assertExactlyOnceStored(cluster, ids, COLLECTION)

    const tasksTopic = await readToEnd(topics.tasks)
    const partitionOf = new Map(tasksTopic.map((r) => [r.key ?? '', r.partition]))
    const recovery = recoveryMs(final, partitionOf, 'w-1', killedAt)
    const resultCounts = new Map<string, number>()
    for (const r of results) resultCounts.set(r.task_id, (resultCounts.get(r.task_id) ?? 0) + 1)
    const twice = [...resultCounts.values()].filter((n) => n > 1).length
    t.diagnostic(
      `killed w-1 at ${doneAtKill} succeeded; processed twice: ${final.reprocessed().length} ` +
        `task(s) started more than once, ${twice} with more than one result; ` +
        `recovery (kill → first task started again on a partition of the dead worker ` +
        `${JSON.stringify(recovery.partitions)}): ${recovery.ms ?? 'n/a'} ms ` +
        `(session timeout ${SESSION_TIMEOUT_MS} ms); kill → all done: ${completedAt - killedAt} ms`,
    )
    assert.ok(recovery.ms !== undefined, 'the dead worker’s partitions were taken over')
  })
})

/**
 * Recovery time, measured on what the group did rather than estimated from rates: from the kill
 * to the first `started` status (its `at`, the worker's clock, the same machine's as ours) that
 * another worker reported for a task of a partition the dead worker owned. The group was settled
 * before any task was submitted and nothing else joined before the kill, so the partitions the
 * dead worker started tasks from are exactly the ones it owned. The replacement's join moves none
 * of them: a cooperative rebalance reassigns a dead member's partitions only once its session
 * times out, so this is about the session timeout plus one rebalance.
 */
function recoveryMs(
  board: StatusBoard,
  partitionOf: ReadonlyMap<string, number>,
  dead: string,
  killedAt: number,
): { partitions: number[]; ms: number | undefined } {
  const owned = new Set<number>()
  for (const [id, trace] of board.tasks) {
    const p = partitionOf.get(id)
    if (p !== undefined && trace.startedBy.some((w) => w === dead)) owned.add(p)
  }
  let first: number | undefined
  for (const [id, trace] of board.tasks) {
    if (!owned.has(partitionOf.get(id) ?? -1)) continue
    for (const [i, worker] of trace.startedBy.entries()) {
      const at = trace.startedAt[i] ?? 0
      if (worker !== dead && at >= killedAt && (first === undefined || at < first)) first = at
    }
  }
  return {
    partitions: [...owned].sort((a, b) => a - b),
    ms: first === undefined ? undefined : first - killedAt,
  }
}
