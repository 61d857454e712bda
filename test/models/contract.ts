/**
 * The ModelManager contract suite: TransformersModels (on the generated test model) and the fake
 * of the worker's unit tests run it unchanged. What it checks is what tasks rely on: the default
 * model, one unit vector per text of the model's dimension, the same text giving the same vector
 * whatever it is batched with, token counts and truncation, `unknown_model`, cancellation, close.
 */
import * as assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Embedder, ModelManager } from '../../src/models/embedder.ts'
import { VectorizeError, type ErrorCode } from '../../src/worker/errors.ts'

export interface ModelsHandle {
  readonly models: ModelManager
  cleanup(): Promise<void>
}

const opts = () => ({ signal: AbortSignal.timeout(60_000) })

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, part?: string) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof VectorizeError, String(err))
    assert.equal(err.code, code, err.message)
    if (part) assert.ok(err.message.includes(part), `"${err.message}" lacks "${part}"`)
    return true
  })
}

function near(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) < 1e-4)
}

/** `factory` is called once for the suite and once more for the close test. */
export function modelContract(name: string, factory: () => Promise<ModelsHandle>): void {
  describe(`${name} (ModelManager contract)`, () => {
    let handle: ModelsHandle
    let embedder: Embedder
    before(async () => {
      handle = await factory()
      embedder = await handle.models.get(undefined, opts())
    })
    after(() => handle.cleanup())

    it(`${name} should load the default model once and list it`, async () => {
      const { info } = embedder
      assert.ok(info.dimensions > 0 && info.maxTokens > 0, JSON.stringify(info))
      assert.match(info.identity, /^.+@.+$/, 'identity is name@dtype')
      assert.equal((await handle.models.get(undefined, opts())).info.identity, info.identity)
      assert.deepEqual(
        handle.models.loaded().map((m) => m.identity),
        [info.identity],
      )
    })

    it(`${name} should embed each text into one unit vector of the model's dimension`, async () => {
      const texts = ['The ocean waves.', 'Planets orbit the sun.', 'x', 'é 😀 漢字']
      const out = await embedder.embed(texts, opts())
      assert.equal(out.length, texts.length)
      for (const e of out) {
        assert.equal(e.vector.length, embedder.info.dimensions)
        assert.ok(e.vector.every(Number.isFinite))
        assert.ok(Math.abs(Math.hypot(...e.vector) - 1) < 1e-3, 'normalised')
        assert.ok(e.inputTokens >= 1)
        assert.equal(e.truncated, false)
      }
      assert.deepEqual(await embedder.embed([], opts()), [])
    })

    it(`${name} should give a text the same vector alone or in any batch, and others another`, async () => {
      const [alone] = await embedder.embed(['Tides rise and fall.'], opts())
      const batch = await embedder.embed(
        ['A much longer sentence about bread, flour, water and salt.', 'Tides rise and fall.'],
        opts(),
      )
      assert.ok(near(alone!.vector, batch[1]!.vector), 'same text, same vector')
      assert.ok(!near(batch[0]!.vector, batch[1]!.vector), 'different texts, different vectors')
    })

    it(`${name} should truncate a text over maxTokens and say how long it was`, async () => {
      const long = Array.from({ length: embedder.info.maxTokens * 2 }, (_, i) => `w${i}`).join(' ')
      const [e] = await embedder.embed([long], opts())
      assert.equal(e!.truncated, true)
      assert.ok(e!.inputTokens > embedder.info.maxTokens, `${e!.inputTokens} tokens`)
      assert.deepEqual(await embedder.countTokens([long], opts()), [e!.inputTokens])
    })

    it(`${name} should count tokens as embed does`, async () => {
      const texts = ['one', 'two words', 'and three words here']
      const counts = await embedder.countTokens(texts, opts())
      const out = await embedder.embed(texts, opts())
      assert.deepEqual(
        counts,
        out.map((e) => e.inputTokens),
      )
    })

    it(`${name} should reject a model it does not have with unknown_model naming it`, async () => {
      await rejectsWith(
        handle.models.get('no-such/model', opts()),
        'unknown_model',
        'no-such/model',
      )
    })

    it(`${name} should reject an embedding whose signal is aborted with cancelled`, async () => {
      await rejectsWith(embedder.embed(['late'], { signal: AbortSignal.abort() }), 'cancelled')
    })

    it(`${name} should refuse work after close`, async () => {
      const own = await factory()
      const e = await own.models.get(undefined, opts())
      await own.models.close()
      await rejectsWith(e.embed(['after close'], opts()), 'cancelled')
      await rejectsWith(own.models.get(undefined, opts()), 'cancelled')
      await own.cleanup()
    })
  })
}
