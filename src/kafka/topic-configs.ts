/**
 * Reads topic configs (`max.message.bytes`) from a broker with one DescribeConfigs request (API key
 * 32, version 1: Kafka 1.1 to 4.x), because the Kafka client has no describeConfigs
 * (confluentinc/confluent-kafka-javascript#444). Plaintext or TLS only: with SASL the configs are
 * not read (the caller says so). Best effort and read-only: any failure is a reason, never thrown.
 */
import { connect as tcpConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import type { KafkaSettings } from './client.ts'

const describeConfigsKey = 32
const describeConfigsVersion = 1
const topicResource = 2

export type TopicConfigs = Map<string, Map<string, string>>

export type ConfigsRead =
  | { readonly ok: true; readonly topics: TopicConfigs }
  | { readonly ok: false; readonly reason: string }

/** `names` of each of `topics`, from the first broker that answers within `timeoutMs`. */
export async function describeTopicConfigs(
  settings: Pick<KafkaSettings, 'brokers' | 'ssl' | 'sasl' | 'client_id'>,
  topics: readonly string[],
  names: readonly string[],
  timeoutMs: number,
): Promise<ConfigsRead> {
  if (settings.sasl.mechanism !== 'none') {
    return { ok: false, reason: 'not read with SASL (the Kafka client cannot describe configs)' }
  }
  const request = encodeRequest(settings.client_id, topics, names)
  const reasons: string[] = []
  for (const broker of settings.brokers) {
    try {
      const response = await exchange(broker, settings.ssl, request, timeoutMs)
      return { ok: true, topics: decodeResponse(response) }
    } catch (err) {
      reasons.push(`${broker}: ${(err as Error).message}`)
    }
  }
  return { ok: false, reason: reasons.join('; ') || 'no brokers' }
}

function encodeRequest(clientId: string, topics: readonly string[], names: readonly string[]) {
  const w = new Writer()
  w.int16(describeConfigsKey).int16(describeConfigsVersion).int32(1).string(clientId)
  w.int32(topics.length)
  for (const topic of topics) {
    w.int8(topicResource).string(topic).int32(names.length)
    for (const name of names) w.string(name)
  }
  w.int8(0) // include_synonyms: false
  return w.framed()
}

/** Response v1: throttle, then per resource its error, name and configs (with synonyms). */
function decodeResponse(body: Buffer): TopicConfigs {
  const r = new Reader(body)
  r.int32() // correlation id
  r.int32() // throttle_time_ms
  const topics: TopicConfigs = new Map()
  for (let i = r.int32(); i > 0; i--) {
    const error = r.int16()
    r.string() // error message
    r.int8() // resource type
    const name = r.string() ?? ''
    const configs = new Map<string, string>()
    for (let j = r.int32(); j > 0; j--) {
      const key = r.string() ?? ''
      const value = r.string()
      r.int8() // read_only
      r.int8() // config_source
      r.int8() // is_sensitive
      for (let k = r.int32(); k > 0; k--) r.skipSynonym()
      if (value !== null) configs.set(key, value)
    }
    if (error === 0) topics.set(name, configs)
  }
  return topics
}

/** Sends one framed request and resolves with the one framed response's body. */
function exchange(broker: string, ssl: boolean, request: Buffer, timeoutMs: number) {
  const { host, port } = hostPort(broker)
  return new Promise<Buffer>((resolve, reject) => {
    const socket: Socket = ssl
      ? tlsConnect({ host, port, servername: host })
      : tcpConnect({ host, port })
    const chunks: Buffer[] = []
    const timer = setTimeout(() => done(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    const done = (err: Error | undefined, body?: Buffer) => {
      clearTimeout(timer)
      socket.destroy()
      if (err) reject(err)
      else resolve(body ?? Buffer.alloc(0))
    }
    socket.once(ssl ? 'secureConnect' : 'connect', () => socket.write(request))
    socket.on('error', (err) => done(err))
    socket.on('close', () => done(new Error('connection closed before an answer')))
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      const all = Buffer.concat(chunks)
      if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) {
        done(undefined, all.subarray(4, 4 + all.readInt32BE(0)))
      }
    })
  })
}

function hostPort(broker: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(broker)
  return match ? { host: match[1]!, port: Number(match[2]) } : { host: broker, port: 9092 }
}

class Writer {
  readonly #parts: Buffer[] = []

  int8(n: number): this {
    return this.#push(1, (b) => b.writeInt8(n))
  }

  int16(n: number): this {
    return this.#push(2, (b) => b.writeInt16BE(n))
  }

  int32(n: number): this {
    return this.#push(4, (b) => b.writeInt32BE(n))
  }

  string(s: string): this {
    const bytes = Buffer.from(s)
    this.int16(bytes.length)
    this.#parts.push(bytes)
    return this
  }

  /** The request with its int32 size in front. */
  framed(): Buffer {
    const body = Buffer.concat(this.#parts)
    const size = Buffer.alloc(4)
    size.writeInt32BE(body.length)
    return Buffer.concat([size, body])
  }

  #push(size: number, write: (b: Buffer) => void): this {
    const b = Buffer.alloc(size)
    write(b)
    this.#parts.push(b)
    return this
  }
}

class Reader {
  readonly #b: Buffer
  #at = 0

  constructor(b: Buffer) {
    this.#b = b
  }

  int8(): number {
    return this.#read(1, (at) => this.#b.readInt8(at))
  }

  int16(): number {
    return this.#read(2, (at) => this.#b.readInt16BE(at))
  }

  int32(): number {
    return this.#read(4, (at) => this.#b.readInt32BE(at))
  }

  /** A nullable string (length -1 is null). */
  string(): string | null {
    const length = this.int16()
    if (length < 0) return null
    return this.#read(length, (at) => this.#b.toString('utf8', at, at + length))
  }

  /** A config synonym (name, value, source): never asked for, skipped if sent. */
  skipSynonym(): void {
    this.string()
    this.string()
    this.int8()
  }

  #read<T>(size: number, read: (at: number) => T): T {
    if (this.#at + size > this.#b.length) throw new Error('truncated DescribeConfigs answer')
    const value = read(this.#at)
    this.#at += size
    return value
  }
}
