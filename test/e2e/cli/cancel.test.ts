/**
 * Issue 10, a timeout or a cancellation in the middle of a multi-slice task: `batch` tasks of 2,000
 * items (8 slices of 256) are held by a test double (doubles.ts) at one step each — the first
 * slice's embedding, the embedding of a slice after others were written, a store write (with the
 * next slice's embedding in flight), the last slice's write — while the real step runs, until
 * `processing.task_timeout_ms` (or a second signal) lands there. Before the fix, the worker died
 * of the unhandled rejection of the next slice's embedding, or with exit 134 (`terminate called
 * after throwing an instance of 'Napi::Error'`, see test/models/thread-close.test.ts).
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createWorkspace, describeRun, type Background, type Workspace } from '../../helpers/cli.ts'
import type { Hold } from '../../helpers/doubles.ts'
import { foldStatusLog, readDeadLetters } from '../../helpers/queue-files.ts'
import { waitUntil } from '../../helpers/wait.ts'

const ITEMS = 2_000
const TIMEOUT_MS = 5_000

/** Where each task is held; a held write also holds the next slice's embedding, which runs meanwhile. */
const holds: Record<string, Hold[]> = {
  'first-slice-embedding': [{ step: 'embed', slice: 0 }],
  'between-slices': [{ step: 'embed', slice: 3 }],
  'store-write': [
    { step: 'write', slice: 4 },
    { step: 'embed', slice: 5 },
  ],
  'last-slice': [{ step: 'write', slice: 7 }],
}

function batch(taskId: string): string {
  const items = Array.from({ length: ITEMS }, (_, i) => ({
    id: `${taskId}-${i}`,
    text: `item ${i}`,
  }))
  return JSON.stringify({ version: 1, task_id: taskId, type: 'batch', collection: 'c', items })
}

function text(taskId: string): string {
  return JSON.stringify({
    version: 1,
    task_id: taskId,
    type: 'text',
    collection: 'c',
    text: taskId,
  })
}

async function submit(ws: Workspace, lines: readonly string[]): Promise<void> {
  const file = join(ws.dir, 'tasks.jsonl')
  await writeFile(file, lines.join('\n') + '\n')
  const result = await ws.run(['submit', file])
  assert.equal(result.code, 0, describeRun(['submit', file], result))
}

/** The next offset the queue has committed (0 when nothing was). */
async function committed(ws: Workspace): Promise<number> {
  const text = await readFile(join(ws.queueDir, 'commit.json'), 'utf8').catch(() => '{"offset":0}')
  return (JSON.parse(text) as { offset: number }).offset
}

/** Highest `progress.done` of the task in status.log. */
async function progressOf(ws: Workspace, taskId: string): Promise<number> {
  const text = await readFile(join(ws.queueDir, 'status.log'), 'utf8').catch(() => '')
  let done = 0
  for (const line of text.split('\n')) {
    if (!line.includes(`"task_id":"${taskId}"`) || !line.includes('"progress"')) continue
    const record = JSON.parse(line) as { status?: { progress?: { done: number } } }
    done = Math.max(done, record.status?.progress?.done ?? 0)
  }
  return done
}

function assertNoCrash(result: { stderr: string }): void {
  assert.doesNotMatch(result.stderr, /terminate called|Unhandled|unhandled_error/)
}

describe('vectorize worker (timeout and cancellation mid-task)', () => {
  it('should fail each held batch with task_timeout, run the tasks after it and exit 0', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const lines = Object.keys(holds).flatMap((id) => [
      batch(id),
      text(`${id}-after-1`),
      text(`${id}-after-2`),
    ])
    await submit(ws, lines)

    const args = ['worker', '--exit-when-idle', '--set', `processing.task_timeout_ms=${TIMEOUT_MS}`]
    const result = await ws.run(args, { doubles: { hold: holds }, timeoutMs: 120_000 })
    assert.equal(result.code, 0, describeRun(args, result))
    assertNoCrash(result)

    const { tasks } = await foldStatusLog(ws.queueDir)
    for (const id of Object.keys(holds)) {
      t.diagnostic(
        `${id}: ${await progressOf(ws, id)} of ${ITEMS} items written before the timeout`,
      )
      assert.equal(tasks.get(id)?.state, 'failed', id)
      assert.equal(tasks.get(id)?.error?.code, 'task_timeout', id)
      for (const after of [`${id}-after-1`, `${id}-after-2`])
        assert.equal(tasks.get(after)?.state, 'succeeded', after)
    }
    const letters = await readDeadLetters(ws.queueDir)
    assert.deepEqual(letters.map((l) => l.task_id).sort(), Object.keys(holds).sort())
    assert.equal(await committed(ws), lines.length, 'everything committed')
  })

  it('should leave a task cut by a second signal uncommitted, exit 75, and finish it on the next run', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const lines = [batch('cut'), text('cut-after-1'), text('cut-after-2')]
    await submit(ws, lines)

    const args = ['worker']
    const worker: Background = ws.start(args, {
      doubles: {
        hold: {
          cut: [
            { step: 'write', slice: 3 },
            { step: 'embed', slice: 4 },
          ],
        },
      },
    })
    let gone = false
    void worker.exited.then(() => (gone = true))
    await waitUntil(
      () => `the task to write 3 slices (${worker.output().stderr.slice(-500)})`,
      async () => (await progressOf(ws, 'cut')) >= 3 * 256,
      { timeoutMs: 60_000, check: () => assert.ok(!gone, 'the worker exited early') },
    )
    worker.child.kill('SIGTERM')
    await waitUntil(
      () => 'the worker to start draining',
      () => worker.output().stderr.includes('"msg":"draining"'),
      { timeoutMs: 10_000 },
    )
    worker.child.kill('SIGTERM')
    const stopped = await worker.exited
    assert.equal(stopped.code, 75, describeRun(args, stopped))
    assertNoCrash(stopped)
    assert.match(stopped.stdout, /1 unfinished/)
    assert.equal(await committed(ws), 0, 'nothing committed past the unfinished task')
    assert.notEqual((await foldStatusLog(ws.queueDir)).tasks.get('cut')?.state, 'failed')

    const again = ['worker', '--exit-when-idle']
    const drained = await ws.run(again, { timeoutMs: 120_000 })
    assert.equal(drained.code, 0, describeRun(again, drained))
    const { tasks } = await foldStatusLog(ws.queueDir)
    for (const id of ['cut', 'cut-after-1', 'cut-after-2'])
      assert.equal(tasks.get(id)?.state, 'succeeded', id)
    assert.equal(await committed(ws), lines.length)
  })
})
