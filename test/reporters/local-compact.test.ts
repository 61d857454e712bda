import * as assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import { silentLogger } from '../../src/observability/logger.ts'
import type { ResultMessage, StatusMessage } from '../../src/protocol/report.ts'
import { compactStatus } from '../../src/reporters/local-compact.ts'
import type { LocalReporterConfig } from '../../src/reporters/local.ts'
import { LocalReporter } from '../../src/reporters/local.ts'
import type { ReportSettings } from '../../src/reporters/local-maintenance.ts'
import { maintainReports, reportStats } from '../../src/reporters/local-maintenance.ts'
import type { DeadLetter } from '../../src/reporters/reporter.ts'

const deps = { logger: silentLogger }
const opts = (): { signal: AbortSignal } => ({ signal: AbortSignal.timeout(30_000) })
const keepAll = { statusRetentionMs: -1, statusRetentionBytes: -1, lockTimeoutMs: 10_000 }
const compact = (dir: string, limits: Partial<typeof keepAll> = {}, now = Date.now()) =>
  compactStatus(dir, { ...keepAll, ...limits, now })

async function tempReports(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-compact-'))
  const opened: LocalReporter[] = []
  t.after(async () => {
    for (const reporter of opened) await reporter.close()
    await rm(dir, { recursive: true, force: true })
  })
  return {
    dir,
    open: async (config: Partial<LocalReporterConfig> = {}) => {
      const reporter = await LocalReporter.create({ dir, ...config }, deps)
      opened.push(reporter)
      return reporter
    },
  }
}

const start = Date.parse('2025-01-01T00:00:00Z')
let clock = start
function status(id: string, state: StatusMessage['state'], extra: Partial<StatusMessage> = {}) {
  clock += 1000
  return { task_id: id, state, worker_id: 'w1', at: new Date(clock).toISOString(), ...extra }
}

function result(id: string, vectors = 2): ResultMessage {
  return {
    task_id: id,
    collection: 'docs',
    model: 'm@fp32',
    dimensions: 8,
    ids: Array.from({ length: vectors }, (_, i) => `${id}-v${i}`),
    counts: { items: vectors, vectors, tokens: 17, truncated: 0 },
    truncated: [],
    timings_ms: { queue: 1, inference: 2, store: 3, total: 6 },
    worker_id: 'w1',
  }
}

/** A history with redeliveries, progress, retried errors, a late `queued`, and a lone result. */
async function writeHistory(reporter: LocalReporter, tasks: number): Promise<string[]> {
  const ids = Array.from({ length: tasks }, (_, i) => `task-${i}`)
  const error = { code: 'store_unavailable' as const, message: 'refused', retriable: true }
  for (const [i, id] of ids.entries()) {
    const queued = status(id, 'queued')
    await reporter.status(status(id, 'started'), opts())
    if (i % 3 === 0) await reporter.status(status(id, 'failed', { error }), opts())
    if (i % 3 === 0) await reporter.status(status(id, 'started'), opts())
    await reporter.status(status(id, 'progress', { progress: { done: 1, total: 2 } }), opts())
    await reporter.status(queued, opts()) // written late: must not hide `started`
    if (i % 4 === 0) continue // still running
    await reporter.result(result(id, 1), opts())
    await reporter.result(result(id, 3), opts())
    const end = i % 5 === 0 ? status(id, 'failed', { error }) : status(id, 'succeeded')
    await reporter.status(end, opts())
  }
  await reporter.result(result('result-only'), opts())
  return ids
}

async function answers(reporter: LocalReporter, ids: readonly string[]) {
  return {
    counts: await reporter.counts(opts()),
    tasks: await Promise.all(
      [...ids, 'result-only', 'missing'].map((id) => reporter.task(id, opts())),
    ),
  }
}

const lineCount = async (path: string) => (await readFile(path, 'utf8')).split('\n').length - 1

describe('status.log compaction', () => {
  it('compaction should keep every answer of vectorize status and shrink the file', async (t) => {
    const reports = await tempReports(t)
    const writer = await reports.open()
    const ids = await writeHistory(writer, 60)
    const before = await answers(await reports.open(), ids)
    const lines = await lineCount(join(reports.dir, 'status.log'))

    const done = await compact(reports.dir)
    assert.ok(done && done.bytesAfter < done.bytesBefore, JSON.stringify(done))
    assert.equal(done.tasks, 61)
    // One status line per task, one result line per finished task and the lone result.
    const finished = ids.filter((_, i) => i % 4 !== 0).length
    assert.equal(await lineCount(join(reports.dir, 'status.log')), 60 + finished + 1)
    assert.ok(lines > 300, `${lines} lines before`)
    assert.deepEqual(await answers(await reports.open(), ids), before, 'a fresh reader')
    assert.deepEqual(await answers(writer, ids), before, 'the reader that saw the old file')

    // Compacting the compacted file changes nothing; later records apply on top of it.
    await compact(reports.dir)
    assert.deepEqual(await answers(await reports.open(), ids), before)
    await writer.status(status('task-1', 'started'), opts())
    assert.equal((await (await reports.open()).task('task-1', opts()))?.attempts, 2)
  })

  it('compaction should lose no record written while it runs, by this process or a writer that opened before', async (t) => {
    const reports = await tempReports(t)
    const early = await reports.open()
    await writeHistory(early, 200)
    const late: string[] = []
    let compactions = 0
    const writing = (async () => {
      for (let i = 0; i < 400; i++) {
        const id = `late-${i}`
        await early.status(status(id, 'started'), opts())
        late.push(id)
      }
    })()
    while (late.length < 400) {
      await compact(reports.dir)
      compactions++
    }
    await writing
    const reader = await reports.open()
    assert.ok(compactions > 1, `${compactions} compactions ran while the records were written`)
    for (const id of late) assert.equal((await reader.task(id, opts()))?.state, 'started', id)
    assert.equal((await reader.counts(opts())).started, 400)
  })

  it('status retention should drop old finished tasks, oldest first, and never a live one', async (t) => {
    const reports = await tempReports(t)
    const reporter = await reports.open()
    const ids = await writeHistory(reporter, 40)
    const live = ids.filter((_, i) => i % 4 === 0)
    const finished = ids.filter((_, i) => i % 4 !== 0)

    // Everything in the history is from 2025: a day's retention drops every finished task.
    const aged = await compact(reports.dir, { statusRetentionMs: 86_400_000 })
    assert.equal(aged?.dropped, finished.length)
    const reader = await reports.open()
    for (const id of live) assert.equal((await reader.task(id, opts()))?.state, 'progress', id)
    for (const id of finished) assert.equal(await reader.task(id, opts()), undefined, id)

    await writeHistory(reporter, 40)
    const before = (await stat(join(reports.dir, 'status.log'))).size
    const sized = await compact(reports.dir, { statusRetentionBytes: 4_000 })
    assert.ok(sized && sized.dropped > 0 && sized.bytesAfter < before)
    const kept = await reports.open()
    for (const id of live) assert.equal((await kept.task(id, opts()))?.state, 'progress', id)
    // The newest finished tasks are the ones kept.
    assert.notEqual(await kept.task(finished.at(-1)!, opts()), undefined)
    assert.equal(await kept.task(finished[0]!, opts()), undefined)
  })

  it('LocalReporter should remove the copy a killed compaction left, and compaction should start over', async (t) => {
    const reports = await tempReports(t)
    const reporter = await reports.open()
    const ids = await writeHistory(reporter, 10)
    const before = await answers(reporter, ids)
    await writeFile(join(reports.dir, 'status.log.compacting'), '{"task_id":"half')
    await reports.open()
    assert.ok(!(await readdir(reports.dir)).includes('status.log.compacting'))
    await writeFile(join(reports.dir, 'status.log.compacting'), '{"task_id":"half')
    await compact(reports.dir)
    assert.deepEqual(await answers(await reports.open(), ids), before)
  })
})

function letter(id: string, value: string): DeadLetter {
  return {
    value: Buffer.from(value),
    taskId: id,
    error: { code: 'invalid_json', message: 'bad', class: 'data' },
    origin: { topic: 'local', partition: 0, offset: 7 },
    attempts: 1,
    workerId: 'w1',
  }
}

const settings: ReportSettings = {
  segmentBytes: 1_000,
  segmentMs: -1,
  dlqRetentionMs: -1,
  dlqRetentionBytes: -1,
  statusCompactBytes: 1 << 30,
  statusRetentionMs: -1,
  statusRetentionBytes: -1,
  lockTimeoutMs: 10_000,
}

describe('dead-letter log', () => {
  it('LocalReporter should roll dead letters into segments and read them back with offsets and original bytes', async (t) => {
    const reports = await tempReports(t)
    const reporter = await reports.open({ segmentBytes: 1_000 })
    const values = Array.from({ length: 40 }, (_, i) =>
      i % 2 ? `{"task_id":"d${i}","pad":"${'p'.repeat(i)}"}` : `not json ${i}`,
    )
    for (const [i, v] of values.entries()) await reporter.deadLetter(letter(`d${i}`, v), opts())
    const segments = (await readdir(reports.dir)).filter((n) => n.startsWith('dlq-'))
    assert.ok(segments.length > 3, `${segments.length} segments`)

    const stored = []
    for await (const d of reporter.deadLetters(opts())) stored.push(d)
    assert.deepEqual(
      stored.map((d) => [d.offset, d.taskId, Buffer.from(d.value).toString()]),
      values.map((v, i) => [i, `d${i}`, v]),
    )
    const stats = await reportStats(reports.dir)
    assert.equal(stats.dead_letters.count, 40)
    assert.equal(stats.dead_letters.newest_offset, 39)
  })

  it('dead-letter retention should delete whole old segments by its own settings, keeping the rest readable', async (t) => {
    const reports = await tempReports(t)
    const reporter = await reports.open({ segmentBytes: 1_000 })
    for (let i = 0; i < 40; i++) await reporter.deadLetter(letter(`d${i}`, `{"n":${i}}`), opts())
    const names = (await readdir(reports.dir)).filter((n) => n.startsWith('dlq-')).sort()
    const monthAgo = new Date(Date.now() - 31 * 86_400_000)
    for (const name of names.slice(0, 2)) await utimes(join(reports.dir, name), monthAgo, monthAgo)

    const upkeep = (limits: Partial<ReportSettings>) =>
      maintainReports(
        reports.dir,
        { ...settings, ...limits },
        { force: false, now: Date.now(), logger: silentLogger },
      )
    assert.equal((await upkeep({})).deadLetters.deletedSegments, 0, 'no limit: kept')
    assert.equal((await upkeep({ dlqRetentionMs: 30 * 86_400_000 })).deadLetters.deletedSegments, 2)
    const stored = []
    for await (const d of reporter.deadLetters(opts())) stored.push(d)
    const first = stored[0]!.offset
    assert.ok(first > 0)
    assert.deepEqual(
      stored.map((d) => Buffer.from(d.value).toString()),
      Array.from({ length: 40 - first }, (_, i) => `{"n":${first + i}}`),
    )
  })
})
