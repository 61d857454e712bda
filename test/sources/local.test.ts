import * as assert from 'node:assert/strict'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { appendFile, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { silentLogger } from '../../src/observability/logger.ts'
import type { LocalSourceConfig } from '../../src/sources/local.ts'
import { LocalPublisher, LocalSource } from '../../src/sources/local.ts'
import type { SourceMessage } from '../../src/sources/source.ts'
import { VectorizeError } from '../../src/worker/errors.ts'
import { sourceContract } from './contract.ts'

const deps = { logger: silentLogger }
/** The first segment of the task log, where a fresh queue's messages go. */
const firstSegment = (dir: string): string => join(dir, 'tasks-00000000000000000000.log')
const signal = (): AbortSignal => AbortSignal.timeout(30_000)
const text = (value: Uint8Array): string => Buffer.from(value).toString('utf8')

interface Closeable {
  close(): Promise<void>
}

/** A fresh queue directory; whatever is opened in it is closed, and it is removed, after the test. */
async function tempQueue(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-local-'))
  const opened: Closeable[] = []
  t.after(async () => {
    for (const item of opened.reverse()) await item.close()
    await rm(dir, { recursive: true, force: true })
  })
  const track = <T extends Closeable>(item: T): T => {
    opened.push(item)
    return item
  }
  return {
    dir,
    source: async (config: Partial<LocalSourceConfig> = {}) =>
      track(await LocalSource.create({ dir, pollIntervalMs: 20, ...config }, deps)),
    publisher: async () => track(await LocalPublisher.create({ dir }, deps)),
  }
}

async function drain(source: LocalSource): Promise<SourceMessage[]> {
  const seen: SourceMessage[] = []
  for await (const message of source.messages({ signal: signal(), untilIdle: true }))
    seen.push(message)
  return seen
}

async function publishTexts(publisher: LocalPublisher, values: readonly string[]): Promise<void> {
  await publisher.publish(
    values.map((v) => Buffer.from(v)),
    { signal: signal() },
  )
}

interface Child {
  readonly process: ChildProcessWithoutNullStreams
  /** Lines the child printed so far; `next` waits for the next one (undefined once it exited). */
  readonly lines: string[]
  next(): Promise<string | undefined>
}

/** Spawns a fixture script under ./fixtures; it is killed after the test if still running. */
function spawnFixture(t: TestContext, script: string, args: readonly string[]): Child {
  const path = fileURLToPath(new URL(`./fixtures/${script}`, import.meta.url))
  const child = spawn(process.execPath, [path, ...args], { stdio: 'pipe' })
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const iterator = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const lines: string[] = []
  return {
    process: child,
    lines,
    async next() {
      const { value, done } = (await iterator.next()) as IteratorResult<string, undefined>
      if (done) {
        if (child.exitCode !== null && child.exitCode !== 0)
          assert.fail(`${script} failed: ${stderr}`)
        return undefined
      }
      lines.push(value)
      return value
    },
  }
}

async function exited(child: Child): Promise<number | null> {
  if (child.process.exitCode === null && child.process.signalCode === null) {
    await once(child.process, 'exit')
  }
  return child.process.exitCode
}

sourceContract('LocalSource', async (t) => {
  const queue = await tempQueue(t)
  return { openSource: () => queue.source(), openPublisher: () => queue.publisher() }
})

describe('LocalSource', () => {
  it('LocalSource should drop a torn last record before the next append', async (t) => {
    const queue = await tempQueue(t)
    const publisher = await queue.publisher()
    await publishTexts(publisher, ['{"n":1}', '{"n":2}'])
    // What a publisher killed in the middle of its write leaves behind.
    await appendFile(firstSegment(queue.dir), '{"ts":1,"crc":1,"j":{"n":"tor')

    const before = await queue.source()
    assert.deepEqual(
      (await drain(before)).map((m) => text(m.value)),
      ['{"n":1}', '{"n":2}'],
    )
    await before.close()

    await publishTexts(publisher, ['{"n":3}'])
    const after = await queue.source()
    const seen = await drain(after)
    assert.deepEqual(
      seen.map((m) => text(m.value)),
      ['{"n":1}', '{"n":2}', '{"n":3}'],
    )
    assert.deepEqual(
      seen.map((m) => m.offset),
      [0, 1, 2],
    )
    const log = await readFile(firstSegment(queue.dir), 'utf8')
    assert.equal(log.split('\n').length, 4, 'three whole lines and no fragment')
  })

  it('LocalPublisher should interleave only whole lines when two processes publish at once', async (t) => {
    const queue = await tempQueue(t)
    const writers = ['a', 'b'].map((tag) =>
      spawnFixture(t, 'publish.ts', [queue.dir, tag, '1000', '7', 'stdin']),
    )
    // both started and holding a publisher, however slowly each started: go together
    assert.deepEqual(await Promise.all(writers.map((w) => w.next())), ['ready', 'ready'])
    for (const w of writers) w.process.stdin.write('go\n')
    assert.deepEqual(await Promise.all(writers.map(exited)), [0, 0])

    const log = await drain(await queue.source())
    const seen = log.map((m) => JSON.parse(text(m.value)) as { tag: string; i: number })
    assert.equal(seen.length, 2_000)
    for (const tag of ['a', 'b']) {
      const mine = seen.filter((m) => m.tag === tag).map((m) => m.i)
      assert.deepEqual(
        mine,
        Array.from({ length: 1_000 }, (_, i) => i),
        `${tag} complete and in order`,
      )
    }
    // Each publish call (7 messages, the last one 1) is one contiguous run in the log.
    const batchEdges = seen.filter((m, k) => {
      const next = seen[k + 1]
      return next !== undefined && next.tag !== m.tag
    })
    assert.ok(batchEdges.length > 1, 'the two publishers took turns, or this proves nothing')
    for (const last of batchEdges) {
      assert.ok((last.i + 1) % 7 === 0 || last.i === 999, `${last.tag} interrupted after ${last.i}`)
    }
  })

  it('LocalPublisher should wait for a live append lock and break a dead one', async (t) => {
    const queue = await tempQueue(t)
    const lockPath = join(queue.dir, 'append.lock')
    const pidNamespace = await readlink('/proc/self/ns/pid').catch(() => undefined)
    const lockOf = (pid: number) =>
      JSON.stringify({ pid, host: hostname(), pidNamespace, acquiredAt: 'then', nonce: 'x' })
    const slow = await LocalPublisher.create({ dir: queue.dir, lockTimeoutMs: 200 }, deps)
    t.after(() => slow.close())

    await writeFile(lockPath, lockOf(process.pid))
    await assert.rejects(
      publishTexts(slow, ['{}']),
      new RegExp(`append lock .*held by pid ${process.pid}\\b`),
    )

    const dead = spawnSync(process.execPath, ['-e', '']).pid
    await writeFile(lockPath, lockOf(dead))
    await publishTexts(slow, ['{"n":1}'])
    assert.deepEqual(
      (await drain(await queue.source())).map((m) => text(m.value)),
      ['{"n":1}'],
    )
  })

  it('LocalPublisher should append a batch larger than one write', async (t) => {
    const queue = await tempQueue(t)
    const values = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({ i, s: 'z'.repeat(100_000) }),
    )
    await publishTexts(await queue.publisher(), values)
    const seen = await drain(await queue.source())
    assert.deepEqual(
      seen.map((m) => text(m.value)),
      values,
    )
  })

  it('LocalSource should refuse a second live consumer with an error naming its pid', async (t) => {
    const queue = await tempQueue(t)
    const holder = spawnFixture(t, 'consume.ts', [queue.dir, 'hold'])
    assert.equal(await holder.next(), 'ready')
    await assert.rejects(LocalSource.create({ dir: queue.dir }, deps), (err: unknown) => {
      if (!(err instanceof VectorizeError)) return false
      assert.equal(err.code, 'queue_locked')
      assert.match(err.message, new RegExp(`pid ${holder.process.pid}\\b`))
      assert.ok(err.message.includes(queue.dir), err.message)
      return true
    })
  })

  it('LocalSource should refuse a second consumer in the same process', async (t) => {
    const queue = await tempQueue(t)
    await queue.source()
    await assert.rejects(
      LocalSource.create({ dir: queue.dir }, deps),
      new RegExp(`pid ${process.pid}\\b`),
    )
  })

  it('LocalSource should not be blocked by the lock of a SIGKILLed consumer', async (t) => {
    const queue = await tempQueue(t)
    const holder = spawnFixture(t, 'consume.ts', [queue.dir, 'hold'])
    assert.equal(await holder.next(), 'ready')
    holder.process.kill('SIGKILL')
    await exited(holder)

    const source = await queue.source()
    const lock = JSON.parse(await readFile(join(queue.dir, 'consumer.lock'), 'utf8')) as {
      pid: number
    }
    assert.equal(lock.pid, process.pid)
    await source.close()
  })

  it('LocalSource should redeliver exactly what follows the last commit after kill -9', async (t) => {
    const queue = await tempQueue(t)
    const values = Array.from({ length: 2_000 }, (_, i) => `{"i":${i}}`)
    await publishTexts(await queue.publisher(), values)
    const killAfter = 20 + Math.floor(Math.random() * 300)
    const consumer = spawnFixture(t, 'consume.ts', [queue.dir, 'commit'])
    while (consumer.lines.length < killAfter) await consumer.next()
    consumer.process.kill('SIGKILL')
    while ((await consumer.next()) !== undefined);
    const lastCommitted = Number(consumer.lines.at(-1)!.split(' ')[1])

    const seen = await drain(await queue.source())
    // (a descheduled test may kill the child only after it committed all: nothing comes back)
    const first = seen[0]?.offset ?? values.length
    // The commit in flight at the kill may or may not have become durable; nothing else.
    assert.ok(
      first === lastCommitted || first === lastCommitted + 1,
      `killed after ${killAfter}: ${first}`,
    )
    assert.deepEqual(
      seen.map((m) => m.offset),
      Array.from({ length: 2_000 - first }, (_, i) => first + i),
    )
    assert.deepEqual(
      seen.map((m) => text(m.value)),
      values.slice(first),
    )
  })

  it('LocalSource should deliver messages longer than its read chunk', async (t) => {
    const queue = await tempQueue(t)
    const values = [10, 1_000, 100_000, 3].map((n, i) => JSON.stringify({ i, s: 'y'.repeat(n) }))
    await publishTexts(await queue.publisher(), values)
    const seen = await drain(await queue.source({ readChunkBytes: 64 }))
    assert.deepEqual(
      seen.map((m) => text(m.value)),
      values,
    )
  })

  it('LocalSource should deliver a damaged line as it is, so the worker can report it', async (t) => {
    const queue = await tempQueue(t)
    await publishTexts(await queue.publisher(), ['{"n":1}'])
    await appendFile(firstSegment(queue.dir), '{"ts":1,"crc":2,"j":{"n":2}}\n')
    const seen = await drain(await queue.source())
    assert.deepEqual(
      seen.map((m) => text(m.value)),
      ['{"n":1}', '{"ts":1,"crc":2,"j":{"n":2}}'],
    )
  })

  it('LocalSource should refuse to commit an offset it has not delivered', async (t) => {
    const queue = await tempQueue(t)
    await publishTexts(await queue.publisher(), ['{}', '{}'])
    const source = await queue.source()
    await assert.rejects(
      source.commit([{ partition: 0, offset: 1 }], { signal: signal() }),
      /offset 1/,
    )
  })

  it('LocalSource should refuse to start from a commit that is not at a line start', async (t) => {
    const queue = await tempQueue(t)
    await publishTexts(await queue.publisher(), ['{"n":1}'])
    await writeFile(join(queue.dir, 'commit.json'), '{"offset":1,"position":3}\n')
    await assert.rejects(queue.source(), /not the start of a line/)
  })

  it('LocalPublisher should write JSON Lines that keep JSON messages readable', async (t) => {
    const queue = await tempQueue(t)
    await publishTexts(await queue.publisher(), ['{"task_id":"a"}', 'plain text'])
    const lines = (await readFile(firstSegment(queue.dir), 'utf8')).trimEnd().split('\n')
    const [json, other] = lines.map(
      (l) => JSON.parse(l) as { ts: number; j?: unknown; b64?: string },
    )
    assert.deepEqual(json?.j, { task_id: 'a' })
    assert.equal(Buffer.from(other?.b64 ?? '', 'base64').toString(), 'plain text')
    assert.ok(Math.abs(Date.now() - (json?.ts ?? 0)) < 60_000)
  })
})
