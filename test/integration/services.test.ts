/**
 * Proves the services from `scripts/services.sh up` are reachable on loopback and speak their
 * protocols. Run after:
 *   scripts/services.sh up && eval "$(scripts/services.sh env)"
 *   node --test dist/test/integration/services.test.js
 * Skipped when VECTORIZE_TEST_KAFKA_BROKERS / VECTORIZE_TEST_REDIS_URL are unset.
 */
import * as assert from 'node:assert/strict'
import { connect } from 'node:net'
import { describe, it } from 'node:test'
import { skipUnless } from '../helpers/skip.ts'

const TIMEOUT_MS = 10_000

/** Sends `request` and collects bytes until `complete(received)` says the reply is whole. */
function exchange(
  host: string,
  port: number,
  request: Buffer,
  complete: (received: Buffer) => boolean,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0)
    const socket = connect({ host, port })
    socket.setTimeout(TIMEOUT_MS, () =>
      socket.destroy(new Error(`no complete reply from ${host}:${port} in ${TIMEOUT_MS} ms`)),
    )
    socket.on('connect', () => socket.write(request))
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk])
      if (complete(received)) {
        socket.end()
        resolve(received)
      }
    })
    socket.on('error', reject)
    socket.on('close', () => reject(new Error(`${host}:${port} closed the connection early`)))
  })
}

/** "host:port[,host:port...]" → the first broker. */
function firstBroker(brokers: string): { host: string; port: number } {
  const first = brokers.split(',')[0]?.trim() ?? ''
  const colon = first.lastIndexOf(':')
  const port = Number(first.slice(colon + 1))
  assert.ok(colon > 0 && Number.isInteger(port), `bad broker address '${first}'`)
  return { host: first.slice(0, colon), port }
}

/** An ApiVersions (api key 18) v0 request: request header v1, empty body. */
function apiVersionsRequest(correlationId: number, clientId: string): Buffer {
  const client = Buffer.from(clientId, 'utf8')
  const body = Buffer.alloc(2 + 2 + 4 + 2 + client.length)
  body.writeInt16BE(18, 0) // api_key: ApiVersions
  body.writeInt16BE(0, 2) // api_version
  body.writeInt32BE(correlationId, 4)
  body.writeInt16BE(client.length, 8) // client_id: int16 length + UTF-8 bytes
  client.copy(body, 10)
  const size = Buffer.alloc(4)
  size.writeInt32BE(body.length, 0)
  return Buffer.concat([size, body])
}

const brokers = process.env.VECTORIZE_TEST_KAFKA_BROKERS
const redisUrl = process.env.VECTORIZE_TEST_REDIS_URL

const kafkaSkip = brokers
  ? false
  : 'VECTORIZE_TEST_KAFKA_BROKERS is unset (scripts/services.sh env)'
const redisSkip = redisUrl ? false : 'VECTORIZE_TEST_REDIS_URL is unset (scripts/services.sh env)'

describe('kafka broker', () => {
  it(
    'should answer an ApiVersions v0 request with our correlation id',
    { skip: skipUnless(kafkaSkip) },
    async () => {
      const { host, port } = firstBroker(brokers ?? '')
      const correlationId = 0x5eed
      const reply = await exchange(
        host,
        port,
        apiVersionsRequest(correlationId, 'vectorize-test'),
        (r) => r.length >= 4 && r.length >= 4 + r.readInt32BE(0),
      )
      // Response: size, correlation_id (header v0), error_code, [api_key, min, max] array.
      assert.equal(reply.readInt32BE(4), correlationId)
      assert.equal(reply.readInt16BE(8), 0, 'error_code')
      const count = reply.readInt32BE(10)
      const keys = Array.from({ length: count }, (_, i) => reply.readInt16BE(14 + i * 6))
      assert.ok(keys.includes(18), `ApiVersions missing from the ${count} supported APIs`)
      assert.ok(keys.includes(0) && keys.includes(1), 'Produce and Fetch supported')
    },
  )
})

describe('redis', () => {
  it('should answer PING with +PONG', { skip: skipUnless(redisSkip) }, async () => {
    const url = new URL(redisUrl ?? '')
    const reply = await exchange(
      url.hostname,
      Number(url.port || 6379),
      Buffer.from('PING\r\n'),
      (r) => r.includes('\r\n'),
    )
    assert.equal(reply.toString('utf8'), '+PONG\r\n')
  })
})
