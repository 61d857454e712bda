/**
 * The dead-letter contract suite, run against every DeadLetterLog (embedded, Kafka) with letters
 * written by that mode's real reporter, and the DeadLetterStore (Letters) over it: what the
 * dashboard and `vectorize dlq` rely on — exact bytes and headers back, bounded pages that cover
 * the log once, marks that persist across processes, replays that put the original bytes back and
 * count the replays of a task, selections by id and by error code, and marks that do not outlive
 * the letters retention deleted.
 */
import * as assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import type { DeadLetterLog, DeadLetterStore, Letter } from '../../src/dead-letters/dead-letter.ts'
import { Letters } from '../../src/dead-letters/letters.ts'
import { scanBudget } from '../../src/dead-letters/paging.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import type { DeadLetter } from '../../src/reporters/reporter.ts'

export interface Republished {
  readonly value: Buffer
  /** The record's key (Kafka), when it has one. */
  readonly key?: string
  readonly headers?: Readonly<Record<string, string>>
}

export interface DeadLetterHarness {
  /** Writes dead letters as a worker would, through the mode's reporter, in order. */
  write(letters: readonly DeadLetter[]): Promise<void>
  /** A new log over the same storage (another process's view); closed by the harness. */
  open(): Promise<DeadLetterLog>
  /** What was put back on the tasks topic or queue, in order. */
  republished(count: number): Promise<Republished[]>
  /** Retention deletes every letter written so far (Kafka: delete-records; embedded: segments). */
  expire(): Promise<void>
  /** The letter ids whose marks the storage still holds (Kafka: latest record not a tombstone). */
  storedMarks(): Promise<string[]>
}

export type DeadLetterHarnessFactory = (t: TestContext) => Promise<DeadLetterHarness>

const signal = () => ({ signal: AbortSignal.timeout(60_000) })

export function letter(i: number, extra: Partial<DeadLetter> = {}): DeadLetter {
  const task = {
    version: 1,
    task_id: `t-${i}`,
    type: 'text',
    text: `text ${i}`,
    model: 'gone/model',
  }
  return {
    value: Buffer.from(JSON.stringify(task)),
    taskId: `t-${i}`,
    error: {
      code: i % 3 === 0 ? 'invalid_task' : 'unknown_model',
      message: `reason ${i}`,
      class: 'data',
    },
    origin: { topic: 'tasks', partition: 0, offset: 1000 + i },
    attempts: 1,
    workerId: 'w-1',
    ...extra,
  }
}

async function allPages(
  store: DeadLetterStore,
  query: { state?: Letter['state']; code?: string },
  limit: number,
) {
  const seen: Letter[] = []
  let cursor: Readonly<Record<string, number>> | undefined
  for (let pages = 0; pages < 1000; pages++) {
    const page = await store.list({ ...query, limit, ...(cursor && { cursor }) }, signal())
    assert.ok(page.letters.length <= limit, 'a page holds at most its limit')
    assert.ok(page.scanned <= scanBudget, 'a page reads at most its budget')
    seen.push(...page.letters)
    if (!page.next) return seen
    cursor = page.next
  }
  throw new Error('the pages never ended')
}

export function deadLetterContract(
  name: string,
  factory: DeadLetterHarnessFactory,
  timeout = 120_000,
): void {
  describe(`${name} (DeadLetterLog contract)`, () => {
    it(
      `${name} should give back each letter's bytes, headers and error exactly`,
      { timeout },
      async (t) => {
        const harness = await factory(t)
        const binary = letter(1, {
          value: Buffer.from([0x7b, 0xff, 0x00, 0x0a, 0x7d]),
          taskId: 'tasks:0:7',
        })
        const text = letter(2, { value: Buffer.from('not json,\nover two lines') })
        await harness.write([letter(0), binary, text])
        const log = await harness.open()
        const ranges = await log.ranges(signal())
        assert.equal(
          ranges.reduce((n, r) => n + r.high - r.low, 0),
          3,
        )
        const reads = ranges.map((r) => log.read(r.partition, r.low, 10, signal()))
        const byTask = new Map((await Promise.all(reads)).flat().map((l) => [l.taskId, l]))
        const hex = (v: Uint8Array) => Buffer.from(v).toString('hex')
        assert.deepEqual([...byTask.keys()].sort(), ['t-0', 't-2', 'tasks:0:7'])
        assert.equal(hex(byTask.get('t-0')!.value), hex(letter(0).value))
        assert.equal(hex(byTask.get('tasks:0:7')!.value), hex(binary.value), 'bytes, not UTF-8')
        assert.equal(hex(byTask.get('t-2')!.value), hex(text.value), 'text over two lines')
        const first = byTask.get('t-0')!
        assert.deepEqual(first.error, { class: 'data', code: 'invalid_task', message: 'reason 0' })
        assert.deepEqual(first.origin, { topic: 'tasks', partition: 0, offset: 1000 })
        assert.equal(first.headers['x-error-code'], 'invalid_task')
        assert.equal(first.headers['x-origin-offset'], '1000')
        assert.equal(first.id, `${first.partition}:${first.offset}`)
        const again = await log.read(first.partition, first.offset, 1, signal())
        assert.deepEqual(
          again.map((l) => l.taskId),
          ['t-0'],
          'a read starts where asked and stops at its max',
        )
      },
    )

    it(
      `${name} should page through a long log once, oldest first, each page bounded`,
      { timeout },
      async (t) => {
        const harness = await factory(t)
        const count = 700
        await harness.write(Array.from({ length: count }, (_, i) => letter(i)))
        const store = new Letters(await harness.open(), silentLogger)
        const seen = await allPages(store, {}, 64)
        assert.deepEqual(
          seen.map((l) => l.taskId),
          Array.from({ length: count }, (_, i) => `t-${i}`),
        )
        const newest = await store.list({ from: 'newest', limit: 5 }, signal())
        assert.deepEqual(
          newest.letters.map((l) => l.taskId),
          [695, 696, 697, 698, 699].map((i) => `t-${i}`),
        )
        const invalid = await allPages(store, { code: 'invalid_task' }, 50)
        assert.equal(invalid.length, Math.ceil(count / 3))
        const summary = await store.summary(signal())
        assert.deepEqual(
          [summary.total, summary.pending, summary.replayed, summary.discarded],
          [count, count, 0, 0],
        )
      },
    )

    it(
      `${name} should replay a letter's original bytes once, mark it, and count the replays of its task`,
      { timeout },
      async (t) => {
        const harness = await factory(t)
        await harness.write([letter(1), letter(2)])
        const store = new Letters(await harness.open(), silentLogger)
        const [first] = (await store.list({ limit: 1 }, signal())).letters
        const done = await store.replay({ ids: [first!.id, '9:99999'] }, 'test ana', signal())
        assert.deepEqual(done.done, [first!.id])
        assert.deepEqual(done.skipped, [{ id: '9:99999', reason: 'no such dead letter' }])
        const again = await store.replay({ ids: [first!.id] }, 'test ana', signal())
        assert.deepEqual(again.skipped, [{ id: first!.id, reason: 'already replayed' }])
        const [put] = await harness.republished(1)
        assert.equal(put!.value.toString(), Buffer.from(letter(1).value).toString())
        if (put!.headers) assert.equal(put!.headers['x-replays'], '1')
        if (put!.key !== undefined)
          assert.equal(put!.key, 't-1', 'keyed by its task id, as submit keys')

        // the replayed task fails again: its new letter shows the loop, and replays as the second
        await harness.write([
          letter(1, { error: { code: 'unknown_model', message: 'still gone', class: 'data' } }),
        ])
        const other = new Letters(await harness.open(), silentLogger) // another process sees the marks
        const replayed = await other.get(first!.id, signal())
        assert.equal(replayed?.state, 'replayed')
        assert.equal(replayed?.handled?.by, 'test ana')
        const loop = (await other.list({ state: 'pending', limit: 10 }, signal())).letters.find(
          (l) => l.taskId === 't-1',
        )
        assert.equal(loop?.replays, 1, 'one replay before this letter')
        await other.replay({ ids: [loop.id] }, 'test bo', signal())
        const twice = await other.get(loop.id, signal())
        assert.equal(twice?.handled?.replay, 2)
        const puts = await harness.republished(2)
        if (puts[1]!.headers) assert.equal(puts[1]!.headers['x-replays'], '2')
      },
    )

    it(
      `${name} should discard every pending letter of one code, and only those`,
      { timeout },
      async (t) => {
        const harness = await factory(t)
        await harness.write(Array.from({ length: 9 }, (_, i) => letter(i)))
        const store = new Letters(await harness.open(), silentLogger)
        const [zero] = (await store.list({ code: 'invalid_task', limit: 1 }, signal())).letters
        await store.replay({ ids: [zero!.id] }, 'test', signal())
        const result = await store.discard({ code: 'invalid_task' }, 'test', signal())
        assert.equal(
          result.done.length,
          2,
          'the other two invalid_task letters; the replayed one stays replayed',
        )
        const summary = await store.summary(signal())
        assert.deepEqual([summary.pending, summary.replayed, summary.discarded], [6, 1, 2])
        const pending = await allPages(store, { state: 'pending' }, 100)
        assert.ok(pending.every((l) => l.error.code === 'unknown_model'))
      },
    )

    it(
      `${name} should forget the marks of letters that retention deleted, at the next action`,
      { timeout },
      async (t) => {
        const harness = await factory(t)
        await harness.write([letter(1), letter(2), letter(3)])
        const first = new Letters(await harness.open(), silentLogger)
        const old = (await first.list({ limit: 10 }, signal())).letters.map((l) => l.id)
        await first.discard({ ids: old.slice(0, 2) }, 'test', signal())
        await first.replay({ ids: old.slice(2) }, 'test', signal())
        assert.deepEqual((await harness.storedMarks()).sort(), [...old].sort())

        await harness.expire()
        await harness.write([letter(4)])
        const second = new Letters(await harness.open(), silentLogger)
        const summary = await second.summary(signal())
        assert.deepEqual([summary.total, summary.pending, summary.discarded], [1, 1, 0])
        const [fresh] = (await second.list({ limit: 10 }, signal())).letters
        assert.equal(fresh?.taskId, 't-4')
        // an action forgets the marks whose letters are gone
        await second.discard({ ids: [fresh.id] }, 'test', signal())
        assert.deepEqual(await harness.storedMarks(), [fresh.id])
        // a process that read the marks before still sees every mark written since
        assert.equal((await first.get(fresh.id, signal()))?.state, 'discarded')
        assert.equal((await first.summary(signal())).discarded, 1)
      },
    )
  })
}
