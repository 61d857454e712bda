import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { diffConfig, LiveConfig } from '../../src/config/reload.ts'
import type { Config } from '../../src/config/schema.ts'
import { testConfig } from '../helpers/config.ts'

function recorder() {
  const lines: { level: string; obj: object; msg: string }[] = []
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj, msg })
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } }
}

describe('diffConfig', () => {
  it('should list changed settings, marking which apply at run time', () => {
    const before = testConfig({ processing: { max_concurrent_tasks: 4 } })
    const after = testConfig({
      processing: { max_concurrent_tasks: 9 },
      kafka: { brokers: ['127.0.0.1:1'] },
    })
    assert.deepEqual(diffConfig(before, after), [
      { key: 'processing.max_concurrent_tasks', from: 4, to: 9, live: true },
      { key: 'kafka.brokers', from: [], to: ['127.0.0.1:1'], live: false },
    ])
  })
})

describe('LiveConfig', () => {
  it('should apply live settings, report the others, and keep reporting them until a restart', async () => {
    const applied: unknown[] = []
    const { lines, logger } = recorder()
    let next: Config = testConfig({ worker: { log_level: 'debug' }, models: { max_loaded: 1 } })
    const live = new LiveConfig(testConfig(), () => Promise.resolve(next), logger)
    live.on('worker.log_level', (level) => void applied.push(level))
    const first = await live.reload()
    assert.deepEqual(applied, ['debug'])
    assert.deepEqual(
      first?.map((c) => [c.key, c.live]),
      [
        ['worker.log_level', true],
        ['models.max_loaded', false],
      ],
    )
    assert.equal(live.current.worker.log_level, 'debug')
    assert.equal(live.current.models.max_loaded, 3, 'a restart-only setting is not applied')
    assert.ok(lines.some((l) => l.level === 'warn' && l.msg.includes('models.max_loaded')))

    next = testConfig({ worker: { log_level: 'debug' }, models: { max_loaded: 1 } })
    const second = await live.reload()
    assert.deepEqual(
      second?.map((c) => c.key),
      ['models.max_loaded'],
    )
    assert.deepEqual(applied, ['debug'], 'an unchanged live setting is not applied again')
  })

  it('should refuse a file that does not load and keep the settings in force', async () => {
    const { lines, logger } = recorder()
    const live = new LiveConfig(
      testConfig({ processing: { max_concurrent_tasks: 3 } }),
      () => Promise.reject(new Error('invalid setting processing.max_concurrent_tasks = 0')),
      logger,
    )
    let calls = 0
    live.on('processing.max_concurrent_tasks', () => void calls++)
    assert.equal(await live.reload(), undefined)
    assert.equal(calls, 0)
    assert.equal(live.current.processing.max_concurrent_tasks, 3)
    const refusal = lines.find((l) => l.level === 'error')
    assert.match(
      refusal?.msg ?? '',
      /^reload refused, settings unchanged: invalid setting processing/,
    )
  })

  it('should never log a secret that changed', async () => {
    const { lines, logger } = recorder()
    const next = testConfig({ redis: { url: 'redis://:hunter2@127.0.0.1:6379' } })
    const live = new LiveConfig(testConfig(), () => Promise.resolve(next), logger)
    await live.reload()
    assert.ok(lines.length > 0)
    assert.ok(!JSON.stringify(lines).includes('hunter2'), JSON.stringify(lines))
  })
})
