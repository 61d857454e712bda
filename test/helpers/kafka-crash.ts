/**
 * The worker-crash scenario (acceptance 2 of issue 3, and of issue 4 on Weaviate), run unchanged on
 * any store: two `vectorize worker` processes share 10,000 tasks; once a good share has succeeded,
 * one is killed with SIGKILL and a replacement is started. Nothing is lost (every task ends with a
 * `succeeded` status, the group's commits reach the end of every partition) and nothing is
 * duplicated (one record per task in the store, under its task's deterministic id). Tasks the dead
 * worker had in flight or done-but-uncommitted are processed again — allowed, they overwrite their
 * own vectors — and counted, with the time the group took to recover and the throughput.
 */
import * as assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { describeRun } from './cli.ts'
import { readToEnd } from './kafka.ts'
import type { StatusBoard } from './kafka-cli.ts'
import { assertExactlyOnceStored, kafkaCluster, textTasks } from './kafka-cli.ts'
import type { StoreUnderTest } from './stores-under-test.ts'

export const CRASH_TASKS = 10_000
/** Succeeded tasks before the kill: well past start-up, far from the end. */
const KILL_AT = 3_000
/** The session timeout of the workers: how long the group takes to notice the dead one. */
const SESSION_TIMEOUT_MS = 10_000
/**
 * The scenario's own waits add up to about 9 min; a run that is merely slow (a loaded machine)
 * then fails with the message of the wait it was in (how many tasks had succeeded), not with a
 * bare cancellation by its suite.
 */
export const CRASH_TIMEOUT_MS = 600_000

export async function crashScenario(t: TestContext, store: StoreUnderTest): Promise<void> {
  const collection = store.collection('crash')
  const cluster = await kafkaCluster(t, { partitions: 6, sessionTimeoutMs: SESSION_TIMEOUT_MS })
  const { board } = cluster
  const env = store.env()
  const victim = cluster.worker('w-1', env)
  const survivor = cluster.worker('w-2', env)
  await cluster.group.waitForMembers(2, 60_000)
  const tasks = textTasks(CRASH_TASKS, 'crash', collection)
  const submittedAt = Date.now()
  await cluster.submit(tasks)
  await cluster.waitFor(
    () => `${KILL_AT} tasks to succeed before the kill (${board.succeeded} did)`,
    () => board.succeeded >= KILL_AT,
    120_000,
  )

  const killedAt = Date.now()
  const killed = await victim.kill()
  assert.equal(killed.signal, 'SIGKILL', describeRun(['worker'], killed))
  const doneAtKill = board.succeeded
  t.diagnostic(`${doneAtKill} succeeded at the kill, ${killedAt - submittedAt} ms after submit`)
  assert.ok(doneAtKill < CRASH_TASKS, `the kill came mid-stream (${doneAtKill} done)`)
  const replacement = cluster.worker('w-3', env)
  await cluster.waitFor(
    () => `all ${CRASH_TASKS} tasks to succeed after the kill (${board.succeeded} did)`,
    () => board.succeeded >= CRASH_TASKS,
    180_000,
  )
  const completedAt = Date.now()
  t.diagnostic(`all ${CRASH_TASKS} succeeded ${completedAt - submittedAt} ms after submit`)
  await cluster.group.waitForCommitsAtEnd(30_000)
  for (const w of [survivor, replacement]) {
    const { result } = await w.stop(30_000)
    assert.equal(result.code, 0, describeRun(['worker'], result))
  }

  const { final, results, stored } = await assertExactlyOnceStored(
    cluster,
    tasks,
    collection,
    store,
  )
  const tasksTopic = await readToEnd(cluster.settings.topics.tasks)
  const partitionOf = new Map(tasksTopic.map((r) => [r.key ?? '', r.partition]))
  const recovery = recoveryMs(final, partitionOf, 'w-1', killedAt)
  const resultCounts = new Map<string, number>()
  for (const r of results) resultCounts.set(r.task_id, (resultCounts.get(r.task_id) ?? 0) + 1)
  const twice = [...resultCounts.values()].filter((n) => n > 1).length
  const perSecond = (CRASH_TASKS / ((completedAt - submittedAt) / 1000)).toFixed(0)
  t.diagnostic(
    `${store.name}: killed w-1 at ${doneAtKill} succeeded; processed twice: ` +
      `${final.reprocessed().length} task(s) started more than once, ${twice} with more than one ` +
      `result; recovery (kill → first task started again on a partition of the dead worker ` +
      `${JSON.stringify(recovery.partitions)}): ${recovery.ms ?? 'n/a'} ms ` +
      `(session timeout ${SESSION_TIMEOUT_MS} ms); kill → all done: ${completedAt - killedAt} ms; ` +
      `${perSecond} tasks/s submit → all done; ${stored.length} records stored, 0 lost, 0 duplicate`,
  )
  assert.ok(recovery.ms !== undefined, 'the dead worker’s partitions were taken over')
}

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
