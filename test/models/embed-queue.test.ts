/**
 * The inference thread's batching without ONNX: a fake TextModel behind the real EmbedQueue. A
 * batch shared by several requests that fails on one input is re-run request by request, so only
 * the request with the bad input fails (`inference_rejected`, not retried) and the others succeed.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { EmbedQueue, type Reply } from '../../src/models/embed-queue.ts'
import type { TextModel, Tokenized } from '../../src/models/runner.ts'
import type { LoadedModel } from '../../src/models/thread-protocol.ts'

const POISON = 666

function fakeModel(runs: number[]): TextModel {
  return {
    info: {} as LoadedModel,
    tokenize: (texts) =>
      texts.map((text): Tokenized => {
        const ids = text.split(' ').map((w) => (w === 'poison' ? POISON : w.length))
        return { ids, inputTokens: ids.length, truncated: false }
      }),
    run: (inputs) => {
      runs.push(inputs.length)
      if (inputs.some((i) => i.ids.includes(POISON)))
        return Promise.reject(new Error('ORT: cannot run this input'))
      return Promise.resolve(inputs.map((i) => Float32Array.from([i.ids.length, 1])))
    },
    dispose: () => Promise.resolve(),
  }
}

type Result = Parameters<Reply>[1]

describe('EmbedQueue', () => {
  it('should fail only the request with the bad input of a shared batch', async () => {
    const runs: number[] = []
    const replies = new Map<number, Result>()
    let allReplied: () => void = () => undefined
    const replied = new Promise<void>((resolve) => (allReplied = resolve))
    const reply: Reply = (id, result) => {
      replies.set(id, result)
      if (replies.size === 3) allReplied()
    }
    const options = { key: 'k', maxBatchTokens: 10_000, maxBatchWaitMs: 1 }
    const queue = new EmbedQueue(fakeModel(runs), options, reply)
    queue.add(1, ['a bb', 'c'])
    queue.add(2, ['x poison'])
    queue.add(3, ['d e f'])
    await replied

    assert.equal(runs[0], 4, 'the three requests shared one batch first')
    assert.deepEqual(runs.slice(1).sort(), [1, 1, 2], 'then ran request by request')
    const [one, two, three] = [replies.get(1)!, replies.get(2)!, replies.get(3)!]
    assert.ok(one.ok && three.ok)
    assert.deepEqual([...one.value.vectors], [2, 1, 1, 1])
    assert.deepEqual([...three.value.vectors], [3, 1])
    assert.ok(!two.ok)
    assert.equal(two.error.code, 'inference_rejected')
    assert.match(two.error.message, /cannot run this input/)
  })

  it('should answer an empty request with no vectors', async () => {
    const result = await new Promise<Result>((resolve) => {
      const queue = new EmbedQueue(
        fakeModel([]),
        { key: 'k', maxBatchTokens: 100, maxBatchWaitMs: 1 },
        (_, r) => resolve(r),
      )
      queue.add(1, [])
    })
    assert.ok(result.ok)
    assert.equal(result.value.vectors.length, 0)
  })
})
