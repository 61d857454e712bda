/** The dead-letter contract on the embedded queue: letters written by LocalReporter in a temp dir. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DeadLetterLog } from '../../src/dead-letters/dead-letter.ts'
import { LocalDeadLetterLog } from '../../src/dead-letters/local.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { LocalReporter } from '../../src/reporters/local.ts'
import { LocalPublisher, LocalSource } from '../../src/sources/local.ts'
import { deadLetterContract, type Republished } from './contract.ts'

const deps = { logger: silentLogger }

deadLetterContract('local', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-dlq-'))
  const logs: DeadLetterLog[] = []
  t.after(async () => {
    for (const log of logs) await log.close()
    await rm(dir, { recursive: true, force: true })
  })
  return {
    write: async (letters) => {
      const reporter = await LocalReporter.create({ dir }, deps)
      try {
        for (const l of letters)
          await reporter.deadLetter(l, { signal: AbortSignal.timeout(10_000) })
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
    republished: async (count) => {
      const source = await LocalSource.create({ dir }, deps)
      const out: Republished[] = []
      try {
        for await (const m of source.messages({
          signal: AbortSignal.timeout(30_000),
          untilIdle: true,
        })) {
          out.push({ value: Buffer.from(m.value) })
        }
      } finally {
        await source.close()
      }
      return out.slice(0, count)
    },
  }
})
