/**
 * Acceptance: crash safety. A worker killed with SIGKILL half-way through 5,000 tasks loses
 * nothing and duplicates nothing once a new worker drains the queue: every task ends succeeded,
 * the collection holds exactly one vector per task. Redelivered tasks are only counted.
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, it } from 'node:test'
import { connect } from '@lancedb/lancedb'
import { createWorkspace, describeRun, type Workspace } from '../../helpers/cli.ts'
import { countStates, foldStatusLog, readDeadLetters } from '../../helpers/queue-files.ts'

const TASKS = 5_000
/** Succeeded tasks to see in status.log before the kill: well past start-up, far from the end. */
const KILL_AT = 1_000
const COLLECTION = 'crash'

type Counts = Record<'queued' | 'started' | 'progress' | 'succeeded' | 'failed', number>

interface CollectionRow {
  name: string
  count: number
  dimensions: number
}

interface StatusRecord {
  task_id: string
  state: string
  attempts: number
  result?: { collection: string; ids: string[] }
}

/** Distinct task ids; every other task has a business id, the rest are keyed by their (unique)
 * text; every third shares one collection-level metadata object. */
function taskLines(): string {
  const shared = { corpus: 'crash-test', source: 'acceptance', lang: 'en' }
  const lines: string[] = []
  for (let i = 0; i < TASKS; i++) {
    const text = `crash test document ${i}: ${'lorem ipsum '.repeat(i % 9)}number ${i * 7919}`
    lines.push(
      JSON.stringify({
        version: 1,
        task_id: `crash-${i}`,
        type: 'text',
        collection: COLLECTION,
        text,
        ...(i % 2 === 0 && { id: `doc-${i}` }),
        ...(i % 3 === 0 ? { metadata: shared } : { metadata: { n: i } }),
      }),
    )
  }
  return lines.join('\n') + '\n'
}

/** Polls status.log until `min` tasks have succeeded; fails if the worker exits first. */
async function waitForSucceeded(ws: Workspace, min: number, exited: Promise<unknown>) {
  let gone = false
  void exited.then(
    () => (gone = true),
    () => (gone = true),
  )
  const deadline = Date.now() + 180_000
  for (;;) {
    const n = await succeededInLog(ws)
    if (n >= min) return n
    if (gone) throw new Error(`the worker exited before ${min} tasks succeeded (${n} did)`)
    if (Date.now() > deadline) throw new Error(`only ${n} tasks succeeded within 180 s`)
    await sleep(25)
  }
}

async function succeededInLog(ws: Workspace): Promise<number> {
  const text = await readFile(join(ws.queueDir, 'status.log'), 'utf8').catch(() => '')
  return text.split('"state":"succeeded"').length - 1
}

describe('vectorize worker (crash safety)', () => {
  it('should end with every task succeeded and one vector each after a SIGKILL mid-way', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const file = join(ws.dir, 'tasks.jsonl')
    await writeFile(file, taskLines())
    const submitted = await ws.run(['submit', file])
    assert.equal(submitted.code, 0, describeRun(['submit', file], submitted))
    assert.match(submitted.stdout, /submitted 5000 tasks/)

    // 1. a worker is killed without warning part-way through the queue
    const first = ws.start(['worker'])
    const seen = await waitForSucceeded(ws, KILL_AT, first.exited)
    first.child.kill('SIGKILL')
    const killed = await first.exited
    assert.equal(killed.signal, 'SIGKILL', describeRun(['worker'], killed))
    const atKill = await foldStatusLog(ws.queueDir)
    const doneAtKill = countStates(atKill).succeeded ?? 0
    const commit = await readFile(join(ws.queueDir, 'commit.json'), 'utf8').catch(() => 'none')
    t.diagnostic(
      `at kill: ${doneAtKill} succeeded (${seen} when the kill was sent), commit ${commit.trim()}, ${atKill.damaged} damaged status line(s)`,
    )
    assert.ok(doneAtKill >= KILL_AT && doneAtKill < TASKS, `killed mid-way: ${doneAtKill} done`)

    // 2. a new worker drains what is left
    const drained = await ws.run(['worker', '--exit-when-idle'], { timeoutMs: 180_000 })
    assert.equal(drained.code, 0, describeRun(['worker', '--exit-when-idle'], drained))

    // 3. every task succeeded, according to the CLI and to the status log itself
    const counts = await ws.json<Counts>(['status'])
    assert.deepEqual(counts, { queued: 0, started: 0, progress: 0, succeeded: TASKS, failed: 0 })
    const folded = await foldStatusLog(ws.queueDir)
    assert.equal(folded.tasks.size, TASKS)
    const notSucceeded = [...folded.tasks].filter(([, task]) => task.state !== 'succeeded')
    assert.deepEqual(notSucceeded.slice(0, 5), [], `${notSucceeded.length} tasks not succeeded`)
    assert.deepEqual(await readDeadLetters(ws.queueDir), [], 'nothing dead-lettered')
    const reprocessed = [...folded.tasks].filter(([, task]) => task.started > 1)
    t.diagnostic(
      `reprocessed after the crash: ${reprocessed.length} task(s) started more than once; final counts ${JSON.stringify(counts)}`,
    )

    // 4. a sample through `vectorize status TASK_ID`: ends, the task in flight at the kill, a redelivered one
    const sample = new Set([
      'crash-0',
      `crash-${TASKS - 1}`,
      `crash-${Math.min(doneAtKill, TASKS - 1)}`,
      ...reprocessed.slice(0, 1).map(([id]) => id),
    ])
    const records = await Promise.all(
      [...sample].map((id) => ws.json<StatusRecord>(['status', id])),
    )
    for (const record of records) {
      assert.equal(record.state, 'succeeded', `${record.task_id}: ${record.state}`)
      assert.equal(record.result?.collection, COLLECTION)
      assert.equal(record.result?.ids.length, 1)
      const started = folded.tasks.get(record.task_id)?.started
      assert.equal(record.attempts, started, `${record.task_id}: attempts as in status.log`)
    }

    // 5. exactly one vector per task, no duplicate ids, every reported id stored
    const collections = await ws.json<CollectionRow[]>(['collections'])
    const crash = collections.find((c) => c.name === COLLECTION)
    assert.equal(crash?.count, TASKS, JSON.stringify(collections))
    assert.equal(crash.dimensions, 64)
    const db = await connect(ws.lancedbPath)
    try {
      const table = await db.openTable(COLLECTION)
      try {
        assert.equal(await table.countRows(), TASKS)
        const rows = (await table.query().select(['id']).toArray()) as { id: string }[]
        const ids = new Set(rows.map((r) => r.id))
        assert.equal(rows.length, TASKS, 'rows read back')
        assert.equal(ids.size, TASKS, `${rows.length - ids.size} duplicate ids`)
        const reported = new Set([...folded.tasks.values()].flatMap((task) => task.resultIds))
        assert.equal(reported.size, TASKS, 'one distinct vector id reported per task')
        const missing = [...reported].filter((id) => !ids.has(id))
        assert.deepEqual(missing.slice(0, 5), [], `${missing.length} reported ids not stored`)
      } finally {
        table.close()
      }
    } finally {
      db.close()
    }
  })
})
