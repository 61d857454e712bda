/**
 * The dead-letter contract on the embedded queue: letters written by LocalReporter in a temp dir,
 * in one segment and in many small ones; and what retention does to the log as the tools see it.
 */
import * as assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import type { DeadLetterLog } from '../../src/dead-letters/dead-letter.ts'
import { Letters } from '../../src/dead-letters/letters.ts'
import { handledFileName, LocalDeadLetterLog } from '../../src/dead-letters/local.ts'
import { configSchema } from '../../src/config/schema.ts'
import { reportSettings } from '../../src/reporters/index.ts'
import { maintainReports } from '../../src/reporters/local-maintenance.ts'
import { listSegments } from '../../src/files/segments.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { deadLetterPrefix } from '../../src/reporters/local-dlq.ts'
import { LocalReporter } from '../../src/reporters/local.ts'
import type { DeadLetter } from '../../src/reporters/reporter.ts'
import { LocalPublisher, LocalSource } from '../../src/sources/local.ts'
import { deadLetterContract, letter, type DeadLetterHarness, type Republished } from './contract.ts'

const deps = { logger: silentLogger }
const signal = () => ({ signal: AbortSignal.timeout(30_000) })

async function harness(
  t: TestContext,
  segmentBytes?: number,
): Promise<DeadLetterHarness & { dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-dlq-'))
  const logs: DeadLetterLog[] = []
  t.after(async () => {
    for (const log of logs) await log.close()
    await rm(dir, { recursive: true, force: true })
  })
  return {
    dir,
    write: async (letters: readonly DeadLetter[]) => {
      const config = { dir, ...(segmentBytes !== undefined && { segmentBytes }) }
      const reporter = await LocalReporter.create(config, deps)
      try {
        for (const l of letters) await reporter.deadLetter(l, signal())
      } finally {
        await reporter.close()
      }
    },
    open: () => {
      const log = new LocalDeadLetterLog(dir, {
        ...deps,
        publisher: () => LocalPublisher.create({ dir }, deps),
      })
      logs.push(log)
      return Promise.resolve(log)
    },
    republished: async (count: number) => {
      const source = await LocalSource.create({ dir }, deps)
      const out: Republished[] = []
      try {
        for await (const m of source.messages({ ...signal(), untilIdle: true })) {
          out.push({ value: Buffer.from(m.value) })
        }
      } finally {
        await source.close()
      }
      return out.slice(0, count)
    },
    expire: async () => {
      // what the worker's upkeep does with queue.dlq_retention_bytes: 0 — roll, delete the rest
      const settings = { ...reportSettings(configSchema.parse({}).queue), dlqRetentionBytes: 0 }
      await maintainReports(dir, settings, { force: true, now: Date.now(), logger: silentLogger })
    },
    storedMarks: async () => {
      const text = await readFile(join(dir, handledFileName), 'utf8').catch(() => '')
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { id: string }).id)
    },
  }
}

deadLetterContract('local', (t) => harness(t))
// about a dozen letters per segment: reads and pages cross segment boundaries
deadLetterContract('local (small segments)', (t) => harness(t, 4096))

describe('local dead letters under retention', () => {
  it('should start at the oldest letter kept, with the same ids, and count only kept letters', async (t) => {
    const h = await harness(t, 4096)
    await h.write(Array.from({ length: 100 }, (_, i) => letter(i)))
    const store = new Letters(await h.open(), silentLogger)
    const before = await store.list({ state: 'pending', limit: 1000 }, signal())
    await store.discard({ ids: [before.letters[0]!.id] }, 'test', signal())
    // retention deletes whole closed segments, oldest first
    const [oldest, second] = await listSegments(h.dir, deadLetterPrefix)
    await unlink(oldest!.path)
    const after = await store.list({ limit: 1000 }, signal())
    assert.equal(after.letters[0]?.offset, second!.base, 'the first letter kept')
    const kept = before.letters.filter((l) => l.offset >= second!.base)
    assert.deepEqual(
      after.letters.map((l) => [l.id, l.taskId]),
      kept.map((l) => [l.id, l.taskId]),
      'ids do not move',
    )
    const summary = await store.summary(signal())
    assert.deepEqual([summary.total, summary.discarded], [kept.length, 0])
  })
})
