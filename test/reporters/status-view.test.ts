/**
 * The StatusView contract on the embedded queue (LocalReporter's index over status.log), and what
 * compaction leaves of a task's history.
 */
import * as assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import { silentLogger } from '../../src/observability/logger.ts'
import type { StatusMessage } from '../../src/protocol/report.ts'
import { compactStatus } from '../../src/reporters/local-compact.ts'
import { LocalReporter } from '../../src/reporters/local.ts'
import { statusViewContract } from './status-view-contract.ts'

const deps = { logger: silentLogger }
const opts = () => ({ signal: AbortSignal.timeout(30_000), history: true })

async function reports(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-history-'))
  const opened: LocalReporter[] = []
  t.after(async () => {
    for (const reporter of opened) await reporter.close()
    await rm(dir, { recursive: true, force: true })
  })
  const open = async () => {
    const reporter = await LocalReporter.create({ dir }, deps)
    opened.push(reporter)
    return reporter
  }
  return { dir, open }
}

statusViewContract('local', async (t) => {
  const { open } = await reports(t)
  return { reporter: await open(), view: open }
})

let clock = Date.parse('2026-02-01T00:00:00Z')
function status(state: StatusMessage['state'], extra: Partial<StatusMessage> = {}): StatusMessage {
  clock += 1000
  return { task_id: 'c-1', state, worker_id: 'w-1', at: new Date(clock).toISOString(), ...extra }
}

describe('a task history after compaction', () => {
  it('LocalReporter should show the compacted record first, say older records are gone, then the newer ones', async (t) => {
    const { dir, open } = await reports(t)
    const writer = await open()
    const error = { code: 'store_unavailable' as const, message: 'refused', retriable: true }
    for (const s of [
      status('queued'),
      status('started'),
      status('failed', { error }),
      status('started'),
      status('progress', { progress: { done: 1, total: 3 } }),
    ]) {
      await writer.status(s, opts())
    }
    const reader = await open() // indexed before the compaction: must start over on the new file
    assert.equal((await reader.task('c-1', opts()))?.history?.records.length, 5)

    await compactStatus(dir, {
      statusRetentionMs: -1,
      statusRetentionBytes: -1,
      lockTimeoutMs: 10_000,
      now: Date.now(),
    })
    const done = status('succeeded')
    await writer.status(done, opts())

    const record = await reader.task('c-1', opts())
    assert.deepEqual([record?.state, record?.attempts], ['succeeded', 2])
    const history = record?.history
    assert.equal(history?.compacted, true, 'the page and the CLI say older records are gone')
    assert.deepEqual(
      history.records.map((h) => [h.state, h.compacted_attempts, h.progress?.done]),
      [
        ['progress', 2, 1],
        ['succeeded', undefined, undefined],
      ],
    )
    assert.equal(history.records[1]?.at, done.at)
  })
})
