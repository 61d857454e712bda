/**
 * `vectorize workers` without a usable Redis: exit codes and messages an operator can act on. The
 * listing itself runs against a real Redis in test/integration/heartbeat-workers.test.ts.
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createWorkspace, describeRun } from '../../helpers/cli.ts'
import { closedPort } from '../../helpers/net.ts'

describe('vectorize workers', () => {
  it('should exit 78 and say how to set redis.url when it is unset', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const result = await ws.run(['workers'])
    assert.equal(result.code, 78, describeRun(['workers'], result))
    assert.match(result.stderr, /config_invalid: redis\.url is not set.*VECTORIZE_WORKER_REDIS_URL/)
  })

  it('should exit 69 and name the server when Redis does not answer', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const url = `redis://127.0.0.1:${await closedPort()}`
    const result = await ws.run(['--json', 'workers'], { env: { VECTORIZE_WORKER_REDIS_URL: url } })
    assert.equal(result.code, 69, describeRun(['workers'], result))
    assert.equal(result.stdout, '')
    assert.match(
      result.stderr,
      /redis_unavailable: Redis at redis:\/\/127\.0\.0\.1:\d+ did not answer/,
    )
  })
})
