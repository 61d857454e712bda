/**
 * `vectorize queue stats|compact` as an operator uses it, on a queue a real worker went through:
 * the figures match what was submitted and done, compaction frees the consumed segments and
 * shrinks status.log while `vectorize status` answers exactly as before, and offsets go on from
 * where they were.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import type { QueueCompaction, QueueStats } from '../../../src/cli/queue.ts'
import { silentLogger } from '../../../src/observability/logger.ts'
import { LocalReporter } from '../../../src/reporters/local.ts'
import { createWorkspace, describeRun, type Workspace } from '../../helpers/cli.ts'
import { waitUntil } from '../../helpers/wait.ts'

const env = { VECTORIZE_WORKER_QUEUE_SEGMENT_BYTES: '1000' }

const good = (i: number) =>
  JSON.stringify({ version: 1, task_id: `q-${i}`, type: 'text', text: `note ${i}` })
/** A task the worker fails and dead-letters: its text is not a string. */
const bad = (i: number) =>
  JSON.stringify({ version: 1, task_id: `bad-${i}`, type: 'text', text: i })

/**
 * Submits each batch of lines (`--raw`: as they are) with its own `vectorize submit`, then runs a
 * worker until the queue is empty. A batch is appended whole, so each one starts a new segment.
 */
async function process(ws: Workspace, batches: readonly (readonly string[])[]): Promise<void> {
  const runs: string[][] = []
  for (const [i, lines] of batches.entries()) {
    const file = join(ws.dir, `batch-${i}-${Date.now()}.jsonl`)
    await writeFile(file, lines.join('\n') + '\n')
    runs.push(['submit', '--raw', file])
  }
  for (const args of [...runs, ['worker', '--exit-when-idle']]) {
    const result = await ws.run(args, { env })
    assert.equal(result.code, 0, describeRun(args, result))
  }
}

describe('vectorize queue', () => {
  it('vectorize queue stats and compact should report the queue, free what is done and keep every status answer', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const tens = [0, 10, 20, 30].map((from) => Array.from({ length: 10 }, (_, i) => good(from + i)))
    await process(ws, [...tens, [0, 1, 2].map(bad)])

    const stats = await ws.json<QueueStats>(['queue', 'stats'], { env })
    assert.ok(stats.tasks.segments > 2, `${stats.tasks.segments} segments of 1,000 bytes`)
    assert.deepEqual(
      [stats.tasks.oldest_offset, stats.tasks.newest_offset, stats.tasks.committed_offset],
      [0, 42, 43],
    )
    assert.equal(stats.tasks.lag, 0)
    assert.equal(stats.status.tasks, 43)
    assert.deepEqual(stats.status.states, {
      queued: 0,
      started: 0,
      progress: 0,
      succeeded: 40,
      failed: 3,
    })
    assert.equal(stats.dead_letters.count, 3)
    const human = await ws.run(['queue', 'stats'], { env })
    assert.match(human.stdout, /^tasks +\d+ segments, [\d.]+ MB, offsets 0–42$/m)
    assert.match(human.stdout, /^dead letters +1 segment, [\d.]+ MB, 3 dead letters, offsets 0–2$/m)
    const counts = await ws.json<unknown>(['status'], { env })
    const records = await Promise.all(
      ['q-0', 'q-39', 'bad-0', 'bad-2'].map((id) => ws.json<unknown>(['status', id], { env })),
    )

    const compact = await ws.json<QueueCompaction>(
      ['queue', 'compact', '--set', 'queue.retention_bytes=0'],
      { env },
    )
    assert.equal(compact.tasks.rolled, true)
    assert.equal(compact.tasks.deletedSegments, stats.tasks.segments)
    assert.ok(compact.reports.status && compact.reports.status.bytesAfter < stats.status.bytes)
    assert.equal(compact.after.tasks.bytes, 0, 'only the new, empty, active segment is left')
    assert.equal(compact.after.dead_letters.count, 3, 'dead letters are kept by their own settings')
    assert.deepEqual(await ws.json<unknown>(['status'], { env }), counts)
    for (const [i, id] of ['q-0', 'q-39', 'bad-0', 'bad-2'].entries()) {
      assert.deepEqual(await ws.json<unknown>(['status', id], { env }), records[i], id)
    }

    await process(ws, [[good(100), good(101)]])
    const after = await ws.json<QueueStats>(['queue', 'stats'], { env })
    assert.deepEqual(
      [after.tasks.oldest_offset, after.tasks.newest_offset, after.tasks.committed_offset],
      [43, 44, 45],
      'offsets go on from where they were',
    )
  })

  it('a running worker, submit and status should keep working while vectorize queue compact runs', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    // The worker rolls, retains and compacts on its own too, five times a second.
    const busy = {
      ...env,
      VECTORIZE_WORKER_QUEUE_MAINTENANCE_INTERVAL_MS: '200',
      VECTORIZE_WORKER_QUEUE_STATUS_COMPACT_BYTES: '2000',
      VECTORIZE_WORKER_QUEUE_RETENTION_BYTES: '0',
    }
    const worker = ws.start(['worker'], { env: busy })
    const batches = 6
    for (let b = 0; b < batches; b++) {
      const file = join(ws.dir, `live-${b}.jsonl`)
      await writeFile(
        file,
        Array.from({ length: 20 }, (_, i) => good(b * 20 + i)).join('\n') + '\n',
      )
      for (const args of [
        ['submit', file],
        ['queue', 'compact'],
      ]) {
        const result = await ws.run(args, { env: busy })
        assert.equal(result.code, 0, describeRun(args, result))
      }
    }
    const total = batches * 20
    let counts = { succeeded: 0 }
    await waitUntil(
      () => `${counts.succeeded}/${total} tasks succeeded`,
      async () => {
        counts = await ws.json<{ succeeded: number }>(['status'], { env: busy })
        return counts.succeeded === total
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    )
    worker.child.kill('SIGTERM')
    const stopped = await worker.exited
    assert.equal(stopped.code, 0, describeRun(['worker'], stopped))

    const reporter = await LocalReporter.create({ dir: ws.queueDir }, { logger: silentLogger })
    t.after(() => reporter.close())
    for (let i = 0; i < total; i++) {
      const record = await reporter.task(`q-${i}`, { signal: AbortSignal.timeout(10_000) })
      assert.deepEqual([record?.state, record?.attempts], ['succeeded', 1], `q-${i}`)
    }
    const stats = await ws.json<QueueStats>(['queue', 'stats'], { env: busy })
    assert.deepEqual([stats.tasks.committed_offset, stats.tasks.lag], [total, 0])
  })

  it('vectorize queue should refuse to run when the task source is Kafka', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const args = ['queue', 'stats', '--set', 'source.kind=kafka']
    const result = await ws.run(args)
    assert.equal(result.code, 78, describeRun(args, result))
    assert.match(result.stderr, /embedded queue.*source is Kafka/)
  })
})
