/**
 * Acceptance 2 of issue 4, worker crash on Weaviate: the crash scenario of issue 3
 * (test/helpers/kafka-crash.ts — 10,000 tasks, two workers, one killed with SIGKILL mid-stream, a
 * replacement started) run unchanged with `vector_databases.default: weaviate`, counting the
 * objects of a fresh collection on the test server: 0 lost (every task's vector id is there),
 * 0 duplicates (as many objects as tasks, each under its task's deterministic id and UUID).
 */
import { describe, it } from 'node:test'
import { skipKafka } from '../helpers/kafka.ts'
import { CRASH_TIMEOUT_MS, crashScenario } from '../helpers/kafka-crash.ts'
import { skipWeaviate, weaviateUnderTest } from '../helpers/weaviate.ts'
import { skipUnless } from '../helpers/skip.ts'

describe(
  'vectorize worker on Kafka and Weaviate (crash)',
  { skip: skipUnless(skipKafka, skipWeaviate), timeout: CRASH_TIMEOUT_MS },
  () => {
    it('should lose and duplicate nothing in Weaviate when a worker is killed with SIGKILL mid-stream', (t) =>
      crashScenario(t, weaviateUnderTest))
  },
)
