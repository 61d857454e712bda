/** Test images made with sharp, and a decompression bomb: a tiny PNG whose header claims huge dimensions. */
import { crc32 } from 'node:zlib'
import sharp from 'sharp'

export type Rgb = readonly [number, number, number]
export type Format = 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff'

export function solidImage(rgb: Rgb, format: Format, width = 48, height = 48): Promise<Buffer> {
  const [r, g, b] = rgb
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .toFormat(format)
    .toBuffer()
}

/**
 * A valid 1×1 PNG with the IHDR's width and height rewritten (CRC fixed): the file is a few dozen
 * bytes, decoding it honestly would need `width × height × 3` bytes.
 */
export async function pngBomb(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await solidImage([255, 0, 0], 'png', 1, 1))
  // signature (8) + length (4) + "IHDR" (4): width at 16, height at 20, CRC after the 13 data bytes
  png.writeUInt32BE(width, 16)
  png.writeUInt32BE(height, 20)
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29)
  return png
}
