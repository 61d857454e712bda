/**
 * The worker-crash scenario (test/helpers/kafka-crash.ts — 10,000 tasks, two workers, one killed
 * with SIGKILL mid-stream, a replacement started) run unchanged with `vector_databases.default:
 * qdrant`, on the Qdrant stand-in (qdrant-under-test.ts: an in-memory imitation that checks every
 * request against Qdrant's API description and wants an API key): 0 lost, 0 duplicates, each
 * point under its task's deterministic id.
 */
import { describe, it } from 'node:test'
import { skipKafka } from '../helpers/kafka.ts'
import { CRASH_TIMEOUT_MS, crashScenario } from '../helpers/kafka-crash.ts'
import { qdrantUnderTest, skipQdrant } from '../helpers/qdrant-under-test.ts'
import * as assert from 'node:assert/strict'
import { skipUnless } from '../helpers/skip.ts'

describe(
  'vectorize worker on Kafka and Qdrant (crash)',
  { skip: skipUnless(skipKafka, skipQdrant), timeout: CRASH_TIMEOUT_MS },
  () => {
    it('should lose and duplicate nothing in Qdrant when a worker is killed with SIGKILL mid-stream', async (t) => {
      const store = await qdrantUnderTest((fn) => t.after(fn))
      await crashScenario(t, store)
      assert.deepEqual(store.standIn.violations, [], 'requests follow the API description')
    })
  },
)
