/**
 * Zip bomb guard (../shared/research/reliability.md S5), for DOCX before any parser inflates it.
 * Reads the central directory only — entry count, declared sizes, compression ratio — then inflates
 * each entry with a hard output cap of its declared size, so an entry that lies about its size
 * is caught at the cap instead of filling memory. ZIP64, encryption and nested archives are refused.
 */
import { inflateRawSync } from 'node:zlib'
import type { DocumentLimits } from './document.ts'
import { documentTooLarge, invalidDocument } from './errors.ts'

const EOCD = 0x06054b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50
/** Ratios are judged only on entries this large: a tiny entry cannot be a bomb. */
const RATIO_FLOOR = 64 * 1024

export interface ZipEntry {
  readonly name: string
  readonly method: number
  readonly compressed: number
  readonly uncompressed: number
  readonly localOffset: number
}

export type ZipLimits = Pick<DocumentLimits, 'max_zip_entries' | 'max_zip_bytes' | 'max_zip_ratio'>

export function checkZip(bytes: Buffer, limits: ZipLimits, origin: string): ZipEntry[] {
  const entries = centralDirectory(bytes, limits, origin)
  let total = 0
  for (const entry of entries) {
    total += entry.uncompressed
    if (total > limits.max_zip_bytes)
      throw documentTooLarge(
        'docx',
        origin,
        `declares over ${limits.max_zip_bytes} uncompressed bytes (content.max_zip_bytes) at entry ${entry.name}`,
        { entry: entry.name, limit: 'max_zip_bytes' },
      )
    const ratio = entry.uncompressed / Math.max(1, entry.compressed)
    if (entry.uncompressed > RATIO_FLOOR && ratio > limits.max_zip_ratio)
      throw documentTooLarge(
        'docx',
        origin,
        `entry ${entry.name} expands ${Math.round(ratio)}× (${entry.compressed} → ${entry.uncompressed} bytes), over content.max_zip_ratio (${limits.max_zip_ratio})`,
        { entry: entry.name, limit: 'max_zip_ratio' },
      )
    if (/\.(zip|docx|xlsx|pptx|jar|gz|7z|rar)$/i.test(entry.name))
      throw invalidDocument('docx', origin, `contains a nested archive (${entry.name})`)
  }
  for (const entry of entries) inflateCapped(bytes, entry, origin)
  return entries
}

function centralDirectory(bytes: Buffer, limits: ZipLimits, origin: string): ZipEntry[] {
  const eocd = findEocd(bytes)
  if (eocd < 0)
    throw invalidDocument('docx', origin, 'is not a zip file (no end of central directory)')
  const count = bytes.readUInt16LE(eocd + 10)
  const size = bytes.readUInt32LE(eocd + 12)
  let at = bytes.readUInt32LE(eocd + 16)
  if (count === 0xffff || at === 0xffffffff)
    throw invalidDocument('docx', origin, 'is a ZIP64 archive, which DOCX never needs')
  if (count > limits.max_zip_entries)
    throw documentTooLarge(
      'docx',
      origin,
      `has ${count} zip entries, over content.max_zip_entries (${limits.max_zip_entries})`,
      { entries: count, limit: 'max_zip_entries' },
    )
  if (at + size > eocd)
    throw invalidDocument('docx', origin, 'has a central directory out of bounds')
  const entries: ZipEntry[] = []
  for (let i = 0; i < count; i++) {
    if (at + 46 > eocd || bytes.readUInt32LE(at) !== CENTRAL)
      throw invalidDocument('docx', origin, `has a broken central directory at entry ${i}`)
    const flags = bytes.readUInt16LE(at + 8)
    const nameLength = bytes.readUInt16LE(at + 28)
    const name = bytes.toString('utf8', at + 46, at + 46 + nameLength)
    const entry = {
      name,
      method: bytes.readUInt16LE(at + 10),
      compressed: bytes.readUInt32LE(at + 20),
      uncompressed: bytes.readUInt32LE(at + 24),
      localOffset: bytes.readUInt32LE(at + 42),
    }
    if (flags & 1) throw invalidDocument('docx', origin, `has an encrypted entry (${name})`)
    if (entry.method !== 0 && entry.method !== 8)
      throw invalidDocument('docx', origin, `entry ${name} uses compression method ${entry.method}`)
    if (entry.compressed === 0xffffffff || entry.uncompressed === 0xffffffff)
      throw invalidDocument('docx', origin, `entry ${name} is ZIP64, which DOCX never needs`)
    entries.push(entry)
    at += 46 + nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32)
  }
  return entries
}

function findEocd(bytes: Buffer): number {
  const stop = Math.max(0, bytes.length - 22 - 0xffff)
  for (let i = bytes.length - 22; i >= stop; i--) if (bytes.readUInt32LE(i) === EOCD) return i
  return -1
}

/** Inflates one entry with its declared size as a hard cap (zlib stops at `maxOutputLength`). */
function inflateCapped(bytes: Buffer, entry: ZipEntry, origin: string): void {
  const at = entry.localOffset
  if (at + 30 > bytes.length || bytes.readUInt32LE(at) !== LOCAL)
    throw invalidDocument('docx', origin, `entry ${entry.name} has no local header`)
  const start = at + 30 + bytes.readUInt16LE(at + 26) + bytes.readUInt16LE(at + 28)
  const data = bytes.subarray(start, start + entry.compressed)
  if (entry.method === 0) {
    if (entry.compressed !== entry.uncompressed)
      throw invalidDocument('docx', origin, `stored entry ${entry.name} has inconsistent sizes`)
    return
  }
  let out: Buffer
  try {
    out = inflateRawSync(data, { maxOutputLength: Math.max(1, entry.uncompressed) })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw documentTooLarge(
        'docx',
        origin,
        `entry ${entry.name} inflates past its declared ${entry.uncompressed} bytes`,
        { entry: entry.name },
      )
    throw invalidDocument('docx', origin, `entry ${entry.name} does not inflate`, err)
  }
  if (out.length !== entry.uncompressed)
    throw invalidDocument(
      'docx',
      origin,
      `entry ${entry.name} inflates to ${out.length} bytes, not the ${entry.uncompressed} it declares`,
    )
}
