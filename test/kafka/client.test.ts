import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { configSchema } from '../../src/config/schema.ts'
import { bridgeLogger, createClient } from '../../src/kafka/client.ts'
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

  it('should write a repeated librdkafka warning once per window, then how often it came', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const logs = captureLogs()
    const bridge = bridgeLogger(logs.logger, 30_000)
    const down = (n: number) =>
      bridge.error('Error: all broker connections are down', { name: 'c#1', timestamp: n })
    // what one consumer wrote in a minute of a broker outage: 857 lines, ~14 a second
    for (let s = 0; s < 60; s++) {
      for (let k = 0; k < 14; k++) down(s * 1000 + k)
      bridge.warn(`Connect to ipv4#127.0.0.1:${s % 2 ? 1 : 2} failed (after ${s}ms)`, {
        fac: 'FAIL',
      })
      t.mock.timers.tick(1000)
    }
    for (let s = 0; s < 70; s++) t.mock.timers.tick(1000) // the broker is back: quiet
    down(1)

    const shown = logs.warnings().map((l) => [l.msg.slice(0, 22), l.repeated ?? 0])
    assert.deepEqual(shown, [
      ['Error: all broker conn', 0],
      ['Connect to ipv4#127.0.', 0],
      ['Error: all broker conn', 14 * 30 - 1],
      ['Connect to ipv4#127.0.', 29],
      ['Error: all broker conn', 14 * 30],
      ['Connect to ipv4#127.0.', 30],
      ['Error: all broker conn', 0], // after a quiet window: at once again
    ])
    assert.equal(logs.warnings()[2]?.window_ms, 30_000)
    assert.equal(logs.warnings()[2]?.timestamp, 29 * 1000 + 13, 'the last one it stands for')
  })

  it('should keep different warnings apart, and info and debug lines unthrottled', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const logs = captureLogs('trace')
    const bridge = bridgeLogger(logs.logger, 30_000)
    for (let i = 0; i < 3; i++) {
      bridge.error('Error: broker transport failure', { name: 'c#1' })
      bridge.error('Error: broker transport failure', { name: 'p#2', client: 'producer' })
      bridge.warn('Error: all broker connections are down')
      bridge.info('Broker state change', {})
      bridge.debug('Fetch topic', {})
    }
    const circular: Record<string, unknown> = { name: 'c#3' }
    circular.self = circular
    bridge.error('Error: broker transport failure', circular) // a log call never throws
    bridge.error('Error: broker transport failure', circular)
    assert.equal(logs.warnings().length, 4, 'one of each warning, the producer apart')
    assert.equal(logs.lines.filter((l) => l.level < 40).length, 6)
  })
})
