/**
 * Acceptance 2 of issue 3, worker crash, on LanceDB (the workspace's shared directory, read
 * directly afterwards): the scenario of test/helpers/kafka-crash.ts — 10,000 tasks, two workers,
 * one killed with SIGKILL mid-stream, a replacement started — loses and duplicates nothing.
 */
import { describe, it } from 'node:test'
import { skipKafka } from '../helpers/kafka.ts'
import { CRASH_TIMEOUT_MS, crashScenario } from '../helpers/kafka-crash.ts'
import { lancedbUnderTest } from '../helpers/stores-under-test.ts'
import { skipUnless } from '../helpers/skip.ts'

describe(
  'vectorize worker on Kafka (crash)',
  { skip: skipUnless(skipKafka), timeout: CRASH_TIMEOUT_MS },
  () => {
    it('should lose and duplicate nothing when a worker is killed with SIGKILL mid-stream', (t) =>
      crashScenario(t, lancedbUnderTest))
  },
)
