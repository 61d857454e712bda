/**
 * Image decoding with sharp, guarded: only JPEG/PNG/WebP/GIF/TIFF (no SVG, whose renderer may
 * reach other files), a pixel limit checked by libvips from the header before any pixel is
 * decoded (decompression bombs), EXIF orientation applied, the first frame of GIF/TIFF, alpha
 * flattened on white, sRGB out.
 */
import sharp from 'sharp'
import type { DecodedImage } from '../models/embedder.ts'
import { VectorizeError } from '../worker/errors.ts'

export const imageFormats = ['jpeg', 'png', 'webp', 'gif', 'tiff'] as const

export interface ImageFacts {
  readonly format: string
  /** Size after EXIF orientation. */
  readonly width: number
  readonly height: number
}

export async function decodeImage(
  bytes: Buffer,
  maxPixels: number,
  origin: string,
): Promise<{ image: DecodedImage; facts: ImageFacts }> {
  const options = { limitInputPixels: maxPixels, pages: 1, failOn: 'error' } as const
  const meta = await sharp(bytes, options)
    .metadata()
    .catch((err: unknown) => {
      throw invalid(origin, 'is not a decodable image', err)
    })
  const format = meta.format as string | undefined
  if (!format || !(imageFormats as readonly string[]).includes(format))
    throw invalid(origin, `has format ${format ?? 'unknown'}; allowed: ${imageFormats.join(', ')}`)
  const pixels = (meta.width ?? 0) * (meta.pageHeight ?? meta.height ?? 0)
  if (pixels > maxPixels)
    throw invalid(
      origin,
      `has ${meta.width}×${meta.pageHeight ?? meta.height} pixels, over content.max_image_pixels (${maxPixels})`,
    )
  const { data, info } = await sharp(bytes, options)
    .rotate()
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((err: unknown) => {
      throw invalid(origin, 'could not be decoded', err)
    })
  if (info.channels !== 3) throw invalid(origin, `decoded to ${info.channels} channels, not RGB`)
  const image = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), ...size(info) }
  return { image, facts: { format, ...size(info) } }
}

function size(info: { width: number; height: number }) {
  return { width: info.width, height: info.height }
}

function invalid(origin: string, what: string, cause?: unknown): VectorizeError {
  const reason = cause instanceof Error ? `: ${cause.message}` : ''
  return new VectorizeError('invalid_image', `image ${origin} ${what}${reason}`, {
    ...(cause !== undefined && { cause }),
    details: { origin },
  })
}

/**
 * A small JPEG of an image, as a `data:` URL (the dashboard's search hits), under the same guards
 * as `decodeImage`: the pixel limit is checked by libvips before decoding.
 */
export async function thumbnail(bytes: Buffer, maxPixels: number, edge = 96): Promise<string> {
  const options = { limitInputPixels: maxPixels, pages: 1, failOn: 'error' } as const
  const meta = await sharp(bytes, options).metadata()
  if (!meta.format || !(imageFormats as readonly string[]).includes(meta.format)) {
    throw invalid('thumbnail', `has format ${meta.format ?? 'unknown'}`)
  }
  const jpeg = await sharp(bytes, options)
    .rotate()
    .resize(edge, edge, { fit: 'inside' })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 70 })
    .toBuffer()
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`
}
