/**
 * `vectorize dlq` on the embedded queue, as a script would use it: a task for a missing model and
 * a line that is not JSON are dead-lettered; a replay before the fix fails again and the loop
 * shows (replays: 1); once the model is in models.dir, replaying by error code ends with the task
 * succeeded and exactly one vector stored; the bad line is discarded; nothing is left pending.
 */
import * as assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import type {
  ActionResultView,
  LetterPageView,
  ShownLetter,
} from '../../../src/dashboard/api-types.ts'
import { createWorkspace, describeRun, type Workspace } from '../../helpers/cli.ts'
import { storedIds } from '../../helpers/kafka-cli.ts'
import { LATE_COLLECTION, LATE_MODEL, lateTask, modelsDir } from '../../helpers/late-model.ts'

async function ok(ws: Workspace, args: string[], env: Record<string, string>) {
  const result = await ws.run(args, { env, timeoutMs: 120_000 })
  assert.equal(result.code, 0, describeRun(args, result))
  return result
}

describe('vectorize dlq (embedded)', () => {
  it(
    'should list, show, replay after the fix, and discard dead letters',
    { timeout: 300_000 },
    async (t) => {
      const ws = await createWorkspace((fn) => t.after(fn))
      const models = await modelsDir(ws.dir)
      const env = models.env
      const file = join(ws.dir, 'tasks.jsonl')
      const healthy = JSON.stringify({ version: 1, task_id: 'ok-1', type: 'text', text: 'fine' })
      await writeFile(file, [healthy, lateTask('late-1'), 'this is not JSON'].join('\n') + '\n')
      await ok(ws, ['submit', '--raw', file], env)
      await ok(ws, ['worker', '--exit-when-idle'], env)

      const list = await ws.json<LetterPageView>(['dlq', 'list'], { env })
      assert.deepEqual(list.letters.map((l) => [l.error.code, l.task_id]).sort(), [
        ['invalid_json', 'local:0:2'],
        ['unknown_model', 'late-1'],
      ])
      const late = list.letters.find((l) => l.task_id === 'late-1')!
      assert.equal(late.headers['x-error-class'], 'data')
      assert.equal(late.headers['x-origin-offset'], '1')
      const shown = await ws.json<ShownLetter>(['dlq', 'show', late.id], { env })
      assert.equal((shown.payload.json as { model: string }).model, LATE_MODEL)

      // replayed before the cause is fixed: it fails again, and the loop is visible
      await ok(ws, ['dlq', 'replay', late.id], env)
      await ok(ws, ['worker', '--exit-when-idle'], env)
      const again = await ws.json<LetterPageView>(['dlq', 'list', '--code', 'unknown_model'], {
        env,
      })
      assert.deepEqual(
        again.letters.map((l) => [l.task_id, l.replays]),
        [['late-1', 1]],
      )

      await models.addLateModel()
      const replayed = await ws.json<ActionResultView>(
        ['dlq', 'replay', '--code', 'unknown_model'],
        { env },
      )
      assert.deepEqual(replayed.done, [again.letters[0]!.id])
      await ok(ws, ['worker', '--exit-when-idle'], env)
      const status = await ws.json<{ state: string }>(['status', 'late-1'], { env })
      assert.equal(status.state, 'succeeded')
      const stored = await storedIds(ws.lancedbPath, LATE_COLLECTION)
      assert.equal(stored.count, 1, 'exactly one set of vectors for the replayed task')

      const bad = list.letters.find((l) => l.error.code === 'invalid_json')!
      const discarded = await ws.json<ActionResultView>(['dlq', 'discard', bad.id], { env })
      assert.deepEqual(discarded.done, [bad.id])
      const pending = await ws.json<LetterPageView>(['dlq', 'list'], { env })
      assert.deepEqual(pending.letters, [], 'nothing left pending')
      const all = await ws.json<LetterPageView>(['dlq', 'list', '--state', 'all'], { env })
      assert.deepEqual(all.letters.map((l) => l.state).sort(), [
        'discarded',
        'replayed',
        'replayed',
      ])

      const missing = await ws.run(['dlq', 'replay', '0:999'], { env })
      assert.equal(missing.code, 3, describeRun(['dlq', 'replay', '0:999'], missing))
      const neither = await ws.run(['dlq', 'replay'], { env })
      assert.equal(neither.code, 2, 'no ids and no --code is a usage error')
    },
  )
})
