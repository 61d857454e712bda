/**
 * A worker that starts while Redis is down joins the registry as soon as Redis comes up, and leaves
 * it on close. Runs its own redis-server (the Debian package scripts/services.sh installs) on a
 * free loopback port, so it can start it late.
 */
import * as assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { Heartbeat, listWorkers } from '../../src/observability/heartbeat.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { waitUntil } from '../helpers/wait.ts'
import { closedPort } from '../helpers/net.ts'
import { skipUnless } from '../helpers/skip.ts'

const hasRedis = spawnSync('redis-server', ['--version']).status === 0

const skip = skipUnless(!hasRedis && 'redis-server is not installed (apt-get install redis-server)')

describe('Heartbeat with a late Redis', { skip }, () => {
  it('should join the registry once Redis comes up and leave it on close', async (t) => {
    const port = await closedPort()
    const url = `redis://127.0.0.1:${port}`
    const list = { url, keyPrefix: 'vectorize-test:', timeoutMs: 2_000 }
    const status = () => ({ state: 'running', activeTasks: 0, models: [], counters: {} })
    const settings = {
      url,
      heartbeat_interval_ms: 200,
      heartbeat_ttl_ms: 5_000,
      key_prefix: 'vectorize-test:',
    }
    const heartbeat = Heartbeat.start(settings, {
      logger: silentLogger,
      status,
      workerId: 'late-1',
      version: 'test',
    })
    t.after(() => heartbeat.close())
    // Redis is not there yet: wait for the heartbeat to have tried and been refused
    await waitUntil(
      () => `a refused connection (health: ${JSON.stringify(heartbeat.health)})`,
      () => /ECONNREFUSED/.test(heartbeat.health.error ?? ''),
      { timeoutMs: 30_000, intervalMs: 20 },
    )
    assert.equal(heartbeat.health.connected, false)

    const redis = spawn(
      'redis-server',
      ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    )
    t.after(() => void redis.kill('SIGTERM'))
    await waitUntil(
      () => `late-1 in the registry (health: ${JSON.stringify(heartbeat.health)})`,
      async () => (await listWorkers(list).catch(() => [])).some((w) => w.id === 'late-1'),
      { timeoutMs: 20_000, intervalMs: 200 },
    )
    assert.equal(heartbeat.health.connected, true)
    await heartbeat.close()
    assert.deepEqual(await listWorkers(list), [], 'removed at once on close')
  })
})
