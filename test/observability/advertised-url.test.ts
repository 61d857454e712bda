/** Where the dashboard is told to scrape a worker (`metrics_url` in its heartbeat). */
import * as assert from 'node:assert/strict'
import { hostname } from 'node:os'
import { describe, it } from 'node:test'
import { advertisedUrl } from '../../src/observability/http.ts'

describe('advertisedUrl', () => {
  it('should be http.advertise_url when set, without a trailing slash', () => {
    assert.equal(
      advertisedUrl('http://worker-3.svc:9464/', 'http://0.0.0.0:9464'),
      'http://worker-3.svc:9464',
    )
  })

  it('should be the bound address, with the host name in place of a wildcard no one can reach', () => {
    assert.equal(advertisedUrl('', 'http://127.0.0.1:41234'), 'http://127.0.0.1:41234')
    assert.equal(advertisedUrl('', 'http://0.0.0.0:9464'), `http://${hostname()}:9464`)
    assert.equal(advertisedUrl('', 'http://[::]:9464'), `http://${hostname()}:9464`)
  })
})
