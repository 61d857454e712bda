import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import sharp from 'sharp'
import { decodeImage } from '../../src/content/images.ts'
import type { VectorizeError } from '../../src/worker/errors.ts'
import { pngBomb, solidImage } from '../helpers/images.ts'

const MAX = 1_000_000

function pixel(image: { data: Uint8Array; width: number }, x: number, y: number): number[] {
  const at = (y * image.width + x) * 3
  return [...image.data.subarray(at, at + 3)]
}

describe('decodeImage', () => {
  it('should decode every allowed format to RGB pixels with its size and format', async () => {
    for (const format of ['png', 'jpeg', 'webp', 'gif', 'tiff'] as const) {
      const bytes = await solidImage([0, 0, 255], format, 30, 20)
      const { image, facts } = await decodeImage(bytes, MAX, `blue.${format}`)
      assert.deepEqual(facts, { format, width: 30, height: 20 }, format)
      assert.equal(image.data.length, 30 * 20 * 3, format)
      const [r, g, b] = pixel(image, 5, 5)
      assert.ok(r! < 30 && g! < 30 && b! > 220, `${format}: ${[r, g, b].join(',')}`)
    }
  })

  it('should apply the EXIF orientation', async () => {
    // 40×20, left half red, right half blue; orientation 6 = rotate 90° clockwise to display
    const left = await sharp({
      create: { width: 40, height: 20, channels: 3, background: { r: 0, g: 0, b: 255 } },
    })
      .composite([{ input: await solidImage([255, 0, 0], 'png', 20, 20), left: 0, top: 0 }])
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer()
    const { image, facts } = await decodeImage(left, MAX, 'rotated.jpg')
    assert.deepEqual([facts.width, facts.height], [20, 40])
    // after a clockwise turn the red (left) half is on top
    assert.ok(pixel(image, 10, 5)[0]! > 200, 'top is red')
    assert.ok(pixel(image, 10, 35)[2]! > 200, 'bottom is blue')
  })

  it('should take the first frame of an animated GIF', async () => {
    const frames = await Promise.all([
      solidImage([255, 0, 0], 'png', 16, 16),
      solidImage([0, 255, 0], 'png', 16, 16),
    ])
    const gif = await sharp(frames, { join: { animated: true } })
      .gif()
      .toBuffer()
    assert.equal((await sharp(gif).metadata()).pages, 2)
    const { image, facts } = await decodeImage(gif, MAX, 'anim.gif')
    assert.deepEqual([facts.width, facts.height], [16, 16])
    assert.ok(pixel(image, 8, 8)[0]! > 200 && pixel(image, 8, 8)[1]! < 50, 'first frame is red')
  })

  it('should refuse a decompression bomb from its header, with invalid_image', async () => {
    const bomb = await pngBomb(100_000, 100_000)
    assert.ok(bomb.length < 200)
    await assert.rejects(decodeImage(bomb, 40_000_000, 'bomb.png'), (err: VectorizeError) => {
      assert.equal(err.code, 'invalid_image')
      assert.equal(err.retriable, false)
      assert.match(err.message, /bomb\.png.*pixel/i)
      return true
    })
  })

  it('should refuse bytes that are not an image, and SVG', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>')
    for (const [bytes, says] of [
      [Buffer.from('hello, not an image'), /not a decodable image/],
      [svg, /format svg/],
    ] as const) {
      await assert.rejects(decodeImage(bytes, MAX, 'x'), (err: VectorizeError) => {
        assert.equal(err.code, 'invalid_image')
        assert.match(err.message, says)
        return true
      })
    }
  })
})
