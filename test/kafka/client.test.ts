import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { configSchema } from '../../src/config/schema.ts'
import { createClient } from '../../src/kafka/client.ts'
import type { VendorConfig, VendorKafkaJS, VendorLogger } from '../../src/kafka/vendor.ts'
import { captureLogs } from '../helpers/logs.ts'

/** A stand-in for the client module that keeps the config it was given (no broker needed). */
function recordingModule(configs: VendorConfig[]): VendorKafkaJS {
  return {
    Kafka: class {
      constructor(config: VendorConfig) {
        configs.push(config)
      }
    } as unknown as VendorKafkaJS['Kafka'],
    IsolationLevel: { READ_COMMITTED: 1 },
    ConsumerGroupStates: { STABLE: 3 },
    logLevel: { NOTHING: 0, WARN: 2, INFO: 3 },
  }
}

describe('Kafka client logging', () => {
  it("createClient should log the client's lines with the owner's component, written once", async () => {
    const logs = captureLogs()
    const owner = logs.logger.child({ component: 'kafka-source', topic: 'tasks' })
    const configs: VendorConfig[] = []
    const settings = configSchema.parse({ kafka: { brokers: ['127.0.0.1:1'] } }).kafka
    await createClient(settings, owner, () => Promise.resolve(recordingModule(configs)))
    const vendorLogger = (configs[0]?.kafkaJS as { logger: VendorLogger }).logger
    vendorLogger.error('Connect to ipv4#127.0.0.1:1 failed', { fac: 'FAIL', name: 'rdkafka#1' })

    const [raw] = logs.raw
    assert.ok(raw, 'one line written')
    assert.equal(raw.match(/"component":/g)?.length, 1, raw)
    assert.deepEqual(
      [logs.lines[0]?.component, logs.lines[0]?.client, logs.lines[0]?.level],
      ['kafka-source', 'librdkafka', 40],
    )
  })
})
