/**
 * Heartbeats when Redis is not there or never answers: nothing the worker calls may block or throw,
 * and the outage is logged once. Real sockets on 127.0.0.1: a port nobody listens on, and a TCP
 * server that accepts connections and never replies (a hung Redis). The happy path runs against a
 * real Redis in test/integration/heartbeat-*.test.ts.
 */
import * as assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { createServer, type Server, type Socket } from 'node:net'
import { describe, it, type TestContext } from 'node:test'
import { pino } from 'pino'
import { Heartbeat, listWorkers, type RedisSettings } from '../../src/observability/heartbeat.ts'
import { VectorizeError } from '../../src/worker/errors.ts'
import { closedPort } from '../helpers/net.ts'
import { Watch } from '../helpers/wait.ts'

interface Line {
  level: number
  msg: string
}

function capturingLogger() {
  const lines: Line[] = []
  const written = new Watch()
  const logger = pino(
    { level: 'debug' },
    {
      write: (s: string) => {
        lines.push(JSON.parse(s) as Line)
        written.changed()
      },
    },
  )
  const warnings = () => lines.filter((l) => l.level === 40)
  return { logger, lines, warnings, written }
}

/**
 * Counts the TCP connections this process tries that have ended (node:net's `net.client.socket`
 * diagnostics channel): against a closed port, each is a refused (re)connection attempt.
 */
function endedConnections(t: TestContext) {
  let ended = 0
  const watch = new Watch()
  const onSocket = (message: unknown) => {
    ;(message as { socket: Socket }).socket.once('close', () => {
      ended++
      watch.changed()
    })
  }
  subscribe('net.client.socket', onSocket)
  t.after(() => unsubscribe('net.client.socket', onSocket))
  return {
    atLeast: (n: number) =>
      watch.until(
        () => `${n} connection attempts (${ended})`,
        () => ended >= n,
        30_000,
      ),
  }
}

/** Accepts connections, reads everything, answers nothing. */
async function hungRedis(t: TestContext) {
  const sockets = new Set<Socket>()
  let accepted = 0
  let received = 0
  const watch = new Watch()
  const server: Server = createServer((socket) => {
    accepted++
    sockets.add(socket)
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length
      watch.changed()
    })
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return {
    port: (server.address() as { port: number }).port,
    connections: () => accepted,
    /** Resolves once a client has connected and sent something (its handshake). */
    spokenTo: () =>
      watch.until(
        () => 'a client to connect and send',
        () => received > 0,
        30_000,
      ),
  }
}

const settings = (port: number, over: Partial<RedisSettings> = {}): RedisSettings => ({
  url: `redis://127.0.0.1:${port}`,
  heartbeat_interval_ms: 100,
  heartbeat_ttl_ms: 1_000,
  key_prefix: 'vectorize-test:',
  ...over,
})

const status = () => ({ state: 'running', activeTasks: 0, models: [], counters: {} })

describe('Heartbeat', () => {
  it('should start at once, warn once and close without error when Redis is down', async (t) => {
    const { logger, warnings } = capturingLogger()
    const deps = { logger, status, workerId: 'w-down', version: 'test' }
    const attempts = endedConnections(t)
    const heartbeat = Heartbeat.start(settings(await closedPort()), deps)
    await attempts.atLeast(5) // several reconnection attempts, each one refused
    assert.equal(heartbeat.health.connected, false)
    assert.match(heartbeat.health.error ?? '', /ECONNREFUSED/)
    await heartbeat.close()
    assert.deepEqual(
      warnings().map((l) => l.msg),
      ['Redis unavailable: heartbeats paused (task processing continues)'],
    )
  })

  it('should neither pile up commands nor hang close() when Redis accepts but never answers', async (t) => {
    const hung = await hungRedis(t)
    const { logger, warnings } = capturingLogger()
    const deps = { logger, status, workerId: 'w-hung', version: 'test' }
    // Time is the subject (beat after beat falls due while the server says nothing): the beat
    // timer is mocked, and 25 intervals pass when the test ticks them.
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const heartbeat = Heartbeat.start(settings(hung.port), deps)
    await hung.spokenTo() // the client's handshake, never answered
    for (let beat = 0; beat < 25; beat++) {
      t.mock.timers.tick(100)
      await new Promise(setImmediate)
    }
    assert.equal(hung.connections(), 1, 'one connection, held')
    assert.equal(heartbeat.health.lastBeatAt, undefined, 'no beat was acknowledged')
    await heartbeat.close() // resolves although the connection hangs
    assert.ok(warnings().length <= 1, `at most one warning: ${JSON.stringify(warnings())}`)
  })

  it('should refuse a TTL that is not longer than the interval, naming the settings', () => {
    const deps = { logger: capturingLogger().logger, status, workerId: 'w', version: 'test' }
    assert.throws(
      () =>
        Heartbeat.start(
          settings(1, { heartbeat_interval_ms: 5_000, heartbeat_ttl_ms: 5_000 }),
          deps,
        ),
      (err: unknown) =>
        err instanceof VectorizeError &&
        err.code === 'config_invalid' &&
        /redis\.heartbeat_ttl_ms \(5000\) must be greater than redis\.heartbeat_interval_ms \(5000\)/.test(
          err.message,
        ),
    )
  })

  it('should refuse a URL that is not redis:// or rediss://', () => {
    const deps = { logger: capturingLogger().logger, status, workerId: 'w', version: 'test' }
    assert.throws(
      () => Heartbeat.start(settings(1, { url: 'http://127.0.0.1:6379' }), deps),
      (err: unknown) =>
        err instanceof VectorizeError &&
        err.code === 'config_invalid' &&
        /redis\.url/.test(err.message),
    )
  })
})

describe('listWorkers', () => {
  it('should fail as redis_unavailable (retriable), naming the URL without its password', async () => {
    const url = `redis://user:secret@127.0.0.1:${await closedPort()}`
    await assert.rejects(
      listWorkers({ url, keyPrefix: 'vectorize-test:', timeoutMs: 2_000 }),
      (err: unknown) =>
        err instanceof VectorizeError &&
        err.code === 'redis_unavailable' &&
        err.retriable &&
        err.message.includes('redis://user:***@127.0.0.1') &&
        !err.message.includes('secret'),
    )
  })

  it('should give up after its timeout when Redis never answers', async (t) => {
    const hung = await hungRedis(t)
    const url = `redis://127.0.0.1:${hung.port}`
    await assert.rejects(
      listWorkers({ url, keyPrefix: 'vectorize-test:', timeoutMs: 500 }),
      (err: unknown) => err instanceof VectorizeError && err.code === 'redis_unavailable',
    )
  })
})
