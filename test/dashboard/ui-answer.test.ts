/**
 * The page's reading of API answers. A fetch aborted while its body arrives (a newer filter, a
 * newer lookup) must reject, not resolve to `{}`: the Dead letters view rendered such an empty
 * "page" and threw on `letters.length` (seen once in seven browser runs).
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { answer, type ApiError } from '../../src/dashboard/ui/answer.ts'

describe('dashboard page: answer', () => {
  it('should reject an OK answer whose body is cut off, and read whole ones', async () => {
    const cut = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"letters":['))
        controller.error(new DOMException('The operation was aborted.', 'AbortError'))
      },
    })
    await assert.rejects(answer(new Response(cut, { status: 200 })))
    assert.deepEqual(await answer(new Response('{"letters":[]}', { status: 200 })), { letters: [] })
  })

  it("should turn a refusal into an ApiError with the server's reason", async () => {
    const refused = new Response('{"error":"actions are off"}', { status: 403 })
    await assert.rejects(
      answer(refused),
      (err: ApiError) => err.status === 403 && err.message === 'actions are off',
    )
    await assert.rejects(answer(new Response('<html>', { status: 502 })), /HTTP 502/)
  })
})
