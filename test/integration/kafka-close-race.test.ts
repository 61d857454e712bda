/**
 * Closing a KafkaSource while a lag probe is still in flight (a /metrics scrape or /ready probe
 * at the moment SIGTERM arrives). The probe's native calls (committed offsets on the consumer,
 * offsets on the admin client) run on libuv threads and go on after their caller's signal
 * aborts; disconnecting the client under them freed the handle they were using, and the worker
 * died with SIGSEGV in AdminClient::ListOffsets after a clean drain (CI, kafka-load-sharing; a
 * core dump showed the frame). Without the fix this crashed the test process in 2 of 3 runs of 12 rounds here.
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { silentLogger } from '../../src/observability/logger.ts'
import { KafkaSource } from '../../src/sources/kafka.ts'
import { createTopics, kafkaSettings, skipKafka } from '../helpers/kafka.ts'
import { waitUntil } from '../helpers/wait.ts'

const deps = { logger: silentLogger }
const ROUNDS = 30

describe('KafkaSource close during a probe', { skip: skipKafka, timeout: 240_000 }, () => {
  it('should wait for the probe in flight and close without crashing, round after round', async (t) => {
    const settings = kafkaSettings()
    await createTopics(t, [settings.topics.tasks], 3)
    for (let round = 0; round < ROUNDS; round++) {
      const group = `${settings.group_id}-${round}`
      const source = await KafkaSource.create({ kafka: { ...settings, group_id: group } }, deps)
      await waitUntil(
        () => `round ${round}: the 3 partitions to be assigned`,
        async () => (await source.probe({ signal: AbortSignal.timeout(10_000) })).lag.length === 3,
        { timeoutMs: 60_000, intervalMs: 100 },
      )
      // As the worker's background prober does: probes keep starting while close() runs.
      let closed = false
      const outcomes: string[] = []
      const prober = (async () => {
        while (!closed && outcomes.at(-1) !== 'source_unavailable') {
          outcomes.push(
            await source.probe({ signal: AbortSignal.timeout(10_000) }).then(
              () => 'answered',
              (err: unknown) => (err as { code?: string }).code ?? 'error',
            ),
          )
        }
      })()
      await source.close().finally(() => (closed = true))
      await prober
      assert.ok(outcomes.length > 0)
      for (const outcome of outcomes) {
        assert.ok(['answered', 'source_unavailable'].includes(outcome), outcome)
      }
    }
  })
})
