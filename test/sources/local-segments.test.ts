import * as assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readdir, readFile, rm, unlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { silentLogger } from '../../src/observability/logger.ts'
import type { LocalPublisherConfig } from '../../src/sources/local.ts'
import { LocalPublisher, LocalSource } from '../../src/sources/local.ts'
import type { TaskLogSettings } from '../../src/sources/local-maintenance.ts'
import { maintainTaskLog, taskLogStats } from '../../src/sources/local-maintenance.ts'
import type { SourceMessage } from '../../src/sources/source.ts'
import { beforeNextCall } from '../helpers/interpose.ts'

const deps = { logger: silentLogger }
const signal = (): AbortSignal => AbortSignal.timeout(30_000)
const text = (value: Uint8Array): string => Buffer.from(value).toString('utf8')
const task = (i: number): string => JSON.stringify({ task_id: `t-${i}`, pad: 'x'.repeat(i % 50) })
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from }, (_, i) => from + i)

/** Settings that keep everything: each test turns on the limit it checks. */
const keepAll: TaskLogSettings = {
  segmentBytes: 2_000,
  segmentMs: -1,
  retentionMs: -1,
  retentionBytes: -1,
  lockTimeoutMs: 10_000,
}

async function tempQueue(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-segments-'))
  const opened: { close(): Promise<void> }[] = []
  t.after(async () => {
    for (const item of opened.reverse()) await item.close()
    await rm(dir, { recursive: true, force: true })
  })
  const track = <T extends { close(): Promise<void> }>(item: T): T => (opened.push(item), item)
  return {
    dir,
    publisher: async (config: Partial<LocalPublisherConfig> = {}) =>
      track(await LocalPublisher.create({ dir, segmentBytes: 2_000, ...config }, deps)),
    source: async () => track(await LocalSource.create({ dir, pollIntervalMs: 10 }, deps)),
    publish: async (publisher: LocalPublisher, from: number, to: number, batch = 7) => {
      for (let i = from; i < to; i += batch) {
        const values = range(i, Math.min(to, i + batch)).map((k) => Buffer.from(task(k)))
        await publisher.publish(values, { signal: signal() })
      }
    },
    segments: async () =>
      (await readdir(dir)).filter((name) => /^tasks-\d{20}\.log$/.test(name)).sort(),
  }
}

async function drain(source: LocalSource): Promise<SourceMessage[]> {
  const seen: SourceMessage[] = []
  for await (const m of source.messages({ signal: signal(), untilIdle: true })) seen.push(m)
  return seen
}

const base = (name: string): number => Number(/^tasks-(\d{20})\.log$/.exec(name)![1])
const lines = async (path: string) => (await readFile(path, 'utf8')).split('\n').length - 1
const commitAfter = (source: LocalSource, offset: number) =>
  source.commit([{ partition: 0, offset }], { signal: signal() })

describe('LocalSource segments', () => {
  it('LocalPublisher should roll the task log into segments named by the offset they start at', async (t) => {
    const queue = await tempQueue(t)
    await queue.publish(await queue.publisher(), 0, 500)

    const names = await queue.segments()
    assert.ok(names.length > 5, `${names.length} segments of at most 2,000 bytes`)
    for (const [k, name] of names.entries()) {
      const next = names[k + 1]
      const count = await lines(join(queue.dir, name))
      if (next) assert.equal(base(name) + count, base(next), `${name} ends where ${next} starts`)
      else assert.equal(base(name) + count, 500)
    }
    const seen = await drain(await queue.source())
    assert.deepEqual(
      seen.map((m) => m.offset),
      range(0, 500),
    )
    assert.deepEqual(
      seen.map((m) => text(m.value)),
      range(0, 500).map(task),
    )
  })

  it('LocalSource should resume at its commit, mid-segment and at a segment start, after a restart', async (t) => {
    const queue = await tempQueue(t)
    await queue.publish(await queue.publisher(), 0, 300)
    const second = base((await queue.segments())[1]!)

    const first = await queue.source()
    await drain(first)
    await commitAfter(first, 17)
    await first.close()
    const resumed = await queue.source()
    assert.equal((await drain(resumed))[0]?.offset, 17)
    await commitAfter(resumed, second)
    await resumed.close()
    const again = await drain(await queue.source())
    assert.deepEqual(
      again.map((m) => m.offset),
      range(second, 300),
    )
  })

  it('LocalSource should deliver every message once, in order, while another process publishes and rolls', async (t) => {
    const queue = await tempQueue(t)
    const source = await queue.source()
    const script = fileURLToPath(new URL('./fixtures/publish.ts', import.meta.url))
    // 2,000 messages of up to ~330 bytes into segments of 4,000 bytes: about 100 rolls.
    const child = spawn(
      process.execPath,
      [script, queue.dir, 'p', '2000', '5', String(Date.now()), '4000'],
      { stdio: 'ignore' },
    )
    const exited = once(child, 'exit')
    t.after(() => void child.kill('SIGKILL'))
    const seen: SourceMessage[] = []
    const stop = new AbortController()
    // A message missed at a roll would leave the consumer waiting: give up after a minute.
    const bounded = AbortSignal.any([stop.signal, AbortSignal.timeout(60_000)])
    for await (const m of source.messages({ signal: bounded, untilIdle: false })) {
      seen.push(m)
      if (seen.length === 2_000) stop.abort()
    }
    await exited
    assert.ok((await queue.segments()).length > 50, 'the log was rolled many times')
    assert.deepEqual(
      seen.map((m) => m.offset),
      range(0, 2_000),
    )
    assert.deepEqual(
      seen.map((m) => (JSON.parse(text(m.value)) as { i: number }).i),
      range(0, 2_000),
    )
  })

  it('LocalSource should deliver what was appended to a segment just before it was rolled', async (t) => {
    const queue = await tempQueue(t)
    const publisher = await queue.publisher({ segmentBytes: 1 << 20 })
    await queue.publish(publisher, 0, 3)
    const source = await queue.source()
    // The consumer has read the segment to its end and now looks for a next one: right then,
    // another writer appends two tasks and rolls.
    beforeNextCall('readdir', async () => {
      await queue.publish(publisher, 3, 5)
      await maintainTaskLog(queue.dir, keepAll, { force: true, now: 0, logger: silentLogger })
    })
    assert.deepEqual(
      (await drain(source)).map((m) => m.offset),
      range(0, 5),
    )
    assert.deepEqual((await queue.segments()).map(base), [0, 5])
  })

  it('task log retention should delete only closed segments whose tasks are all committed', async (t) => {
    const queue = await tempQueue(t)
    await queue.publish(await queue.publisher(), 0, 300)
    const names = await queue.segments()
    const settings = { ...keepAll, retentionBytes: 0 }
    const upkeep = () =>
      maintainTaskLog(queue.dir, settings, { force: false, now: Date.now(), logger: silentLogger })

    assert.equal((await upkeep()).deletedSegments, 0, 'nothing is committed yet')
    const source = await queue.source()
    await drain(source)
    // Committed up to the last task of the third segment: the first two go, the third stays.
    await commitAfter(source, base(names[3]!) - 1)
    assert.equal((await upkeep()).deletedSegments, 2)
    assert.deepEqual(await queue.segments(), names.slice(2))

    await commitAfter(source, 300)
    await upkeep()
    assert.deepEqual(await queue.segments(), names.slice(-1), 'the active segment stays')
    const stats = await taskLogStats(queue.dir)
    assert.equal(stats.next_offset, 300)
    assert.equal(stats.lag, 0)
    assert.equal(stats.oldest_offset, base(names.at(-1)!))
  })

  it('task log retention should delete committed segments by age and by size, oldest first', async (t) => {
    const queue = await tempQueue(t)
    await queue.publish(await queue.publisher(), 0, 300)
    const source = await queue.source()
    await drain(source)
    await commitAfter(source, 300)
    const names = await queue.segments()
    const now = Date.now()
    const dayAgo = new Date(now - 86_400_000)
    for (const name of names.slice(0, 3)) await utimes(join(queue.dir, name), dayAgo, dayAgo)
    const upkeep = (limits: Partial<TaskLogSettings>) =>
      maintainTaskLog(
        queue.dir,
        { ...keepAll, ...limits },
        { force: false, now, logger: silentLogger },
      )

    assert.equal((await upkeep({ retentionMs: 2 * 86_400_000 })).deletedSegments, 0)
    assert.equal((await upkeep({ retentionMs: 3_600_000 })).deletedSegments, 3)
    assert.deepEqual(await queue.segments(), names.slice(3))

    const before = (await taskLogStats(queue.dir)).bytes
    const { deletedBytes } = await upkeep({ retentionBytes: 6_000 })
    const after = (await taskLogStats(queue.dir)).bytes
    assert.equal(after, before - deletedBytes)
    assert.ok(after >= 6_000 && after < 6_000 + 2_000, `${after} bytes kept`)
  })

  it('task log upkeep should roll an idle segment once its first task is older than segment_ms', async (t) => {
    const queue = await tempQueue(t)
    await queue.publish(await queue.publisher({ segmentBytes: 1 << 20 }), 0, 10)
    const settings = { ...keepAll, segmentBytes: 1 << 20, segmentMs: 60_000 }
    const upkeep = (now: number) =>
      maintainTaskLog(queue.dir, settings, { force: false, now, logger: silentLogger })
    assert.equal((await upkeep(Date.now())).rolled, false)
    assert.equal((await upkeep(Date.now() + 61_000)).rolled, true)
    assert.deepEqual((await queue.segments()).map(base), [0, 10])
  })

  it('LocalSource should resume after retention deleted the segment its commit names', async (t) => {
    const queue = await tempQueue(t)
    await queue.publish(await queue.publisher(), 0, 100)
    const [first, second] = await queue.segments()
    const end = await readFile(join(queue.dir, first!))
    // A commit at the very end of the first segment, as a worker may leave it, then retention.
    await writeFile(
      join(queue.dir, 'commit.json'),
      JSON.stringify({ offset: base(second!), segment: 0, position: end.length }),
    )
    await unlink(join(queue.dir, first!))
    const seen = await drain(await queue.source())
    assert.deepEqual(
      seen.map((m) => m.offset),
      range(base(second!), 100),
    )
  })

  it('LocalSource should refuse a commit into a segment deleted by hand, saying what to do', async (t) => {
    const queue = await tempQueue(t)
    await queue.publish(await queue.publisher(), 0, 100)
    const [first] = await queue.segments()
    await writeFile(join(queue.dir, 'commit.json'), '{"offset":3,"segment":0,"position":90}')
    await unlink(join(queue.dir, first!))
    await assert.rejects(queue.source(), /offset 3 in segment 0.*Remove commit\.json/)
  })

  it('LocalSource should adopt a task log written before segments, resuming at its old commit', async (t) => {
    const queue = await tempQueue(t)
    await queue.publish(await queue.publisher({ segmentBytes: 1 << 20 }), 0, 5)
    const [only] = await queue.segments()
    // What a queue directory of an earlier version holds: tasks.log and a commit without segment.
    const log = await readFile(join(queue.dir, only!), 'utf8')
    await rm(join(queue.dir, only!))
    await writeFile(join(queue.dir, 'tasks.log'), log)
    const position = log.split('\n').slice(0, 2).join('\n').length + 1
    await writeFile(join(queue.dir, 'commit.json'), JSON.stringify({ offset: 2, position }))

    const source = await queue.source()
    await queue.publish(await queue.publisher(), 5, 8)
    assert.deepEqual(
      (await drain(source)).map((m) => text(m.value)),
      range(2, 8).map(task),
    )
    assert.ok(!(await readdir(queue.dir)).includes('tasks.log'))
  })
})
