/**
 * Issue 10: an error nothing awaited (an unhandled rejection, here left by a test double in one
 * task) no longer kills the worker on the spot. It is logged, intake stops, the tasks in flight
 * are aborted and stay uncommitted, and the worker exits 70; the next worker finishes the work.
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createWorkspace, describeRun } from '../../helpers/cli.ts'
import { foldStatusLog } from '../../helpers/queue-files.ts'

const text = (id: string) =>
  JSON.stringify({ version: 1, task_id: id, type: 'text', collection: 'c', text: `text of ${id}` })

describe('vectorize worker (unhandled rejection)', () => {
  it('should stop intake, commit nothing past the task in flight and exit 70', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const ids = ['first', 'boom', ...Array.from({ length: 20 }, (_, i) => `later-${i}`)]
    const file = join(ws.dir, 'tasks.jsonl')
    await writeFile(file, ids.map(text).join('\n') + '\n')
    assert.equal((await ws.run(['submit', file])).code, 0)

    const args = ['worker', '--exit-when-idle', '--max-concurrent-tasks', '1']
    const failed = await ws.run(args, { doubles: { unhandledOnTask: 'boom' } })
    assert.equal(failed.code, 70, describeRun(args, failed))
    assert.match(failed.stderr, /unhandled_error: .*boom left this rejection unhandled on purpose/)
    const commit = await readFile(join(ws.queueDir, 'commit.json'), 'utf8').catch(() => '{}')
    const offset = (JSON.parse(commit) as { offset?: number }).offset ?? 0
    assert.ok(offset <= 1, `committed up to ${offset}: nothing past the task in flight (offset 1)`)
    const before = await foldStatusLog(ws.queueDir)
    assert.equal(before.tasks.get('later-19')?.state, 'queued', 'intake stopped')

    const again = ['worker', '--exit-when-idle']
    const drained = await ws.run(again)
    assert.equal(drained.code, 0, describeRun(again, drained))
    const { tasks } = await foldStatusLog(ws.queueDir)
    for (const id of ids) assert.equal(tasks.get(id)?.state, 'succeeded', id)
  })
})
