/**
 * Kafka test helpers over the real broker that `scripts/services.sh up kafka` starts. Tests skip
 * (with the reason below) when VECTORIZE_TEST_KAFKA_BROKERS is unset, so `npm test` needs no
 * broker. Every test gets fresh random topic and group names; what a helper creates it removes
 * after the test.
 */
import { randomUUID } from 'node:crypto'
import type { TestContext } from 'node:test'
import { waitUntil } from './wait.ts'
import { configSchema } from '../../src/config/schema.ts'
import type { KafkaClient, KafkaSettings } from '../../src/kafka/client.ts'
import { createClient } from '../../src/kafka/client.ts'
import type { VendorAdmin, VendorKafka, VendorKafkaJS } from '../../src/kafka/vendor.ts'
import type { VendorMessage } from '../../src/kafka/vendor.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { metadataRefreshMs } from '../../src/sources/kafka.ts'

export const kafkaBrokers = (process.env.VECTORIZE_TEST_KAFKA_BROKERS ?? '')
  .split(',')
  .map((b) => b.trim())
  .filter((b) => b.length > 0)

/** `false` when a broker is configured, else the reason to give `{ skip }`. */
export const skipKafka: string | false =
  kafkaBrokers.length > 0
    ? false
    : 'VECTORIZE_TEST_KAFKA_BROKERS is unset (scripts/services.sh up kafka && eval "$(scripts/services.sh env)")'

export const uniqueName = (what: string): string => `vectorize-test-${what}-${randomUUID()}`

/** Settings with fresh topic names and group over the test broker; `overrides` replace fields. */
export function kafkaSettings(overrides: Partial<KafkaSettings> = {}): KafkaSettings {
  const defaults = configSchema.parse({
    kafka: {
      brokers: kafkaBrokers,
      group_id: uniqueName('group'),
      topics: {
        tasks: uniqueName('tasks'),
        status: uniqueName('status'),
        results: uniqueName('results'),
        dlq: uniqueName('dlq'),
      },
      session_timeout_ms: 10_000,
    },
  }).kafka
  return { ...defaults, ...overrides }
}

async function testClient(): Promise<VendorKafka> {
  return (await testKafka()).kafka
}

function testKafka(): Promise<KafkaClient> {
  return createClient(kafkaSettings(), silentLogger)
}

/** Topic configs (`max.message.bytes`...) per topic name, for `createTopics`. */
export type TopicConfigs = Readonly<Record<string, Readonly<Record<string, string>>>>

/** Creates the topics now (with `configs` where given) and deletes them after the test. */
export async function createTopics(
  t: TestContext,
  topics: readonly string[],
  partitions: number,
  configs: TopicConfigs = {},
): Promise<void> {
  dropTopicsAfter(t, topics)
  // A broker that has just (re)started can time out a first creation: try again, it is idempotent.
  for (let attempt = 1; ; attempt++) {
    try {
      await withAdmin((admin) =>
        admin.createTopics({
          topics: topics.map((topic) => ({
            topic,
            numPartitions: partitions,
            replicationFactor: 1,
            configEntries: Object.entries(configs[topic] ?? {}).map(([name, value]) => ({
              name,
              value,
            })),
          })),
          timeout: 30_000,
        }),
      )
      return
    } catch (err) {
      if (attempt >= 3 || !timedOut(err)) throw err
    }
  }
}

/** Deletes these topics after the test (for topics the code under test creates). */
export function dropTopicsAfter(t: TestContext, topics: readonly string[]): void {
  t.after(() => withAdmin((admin) => admin.deleteTopics({ topics: [...topics] })).catch(() => {}))
}

async function withAdmin<T>(fn: (admin: TestAdmin, module: VendorKafkaJS) => Promise<T>) {
  const client = await testKafka()
  const admin = client.kafka.admin() as TestAdmin
  await admin.connect()
  try {
    return await fn(admin, client.module)
  } finally {
    await admin.disconnect()
  }
}

/** The admin calls the tests need beyond the adapters' slice (types/kafkajs.d.ts in 1.10.1). */
interface TestAdmin extends VendorAdmin {
  deleteTopicRecords(options: {
    topic: string
    partitions: { partition: number; offset: string }[]
    timeout?: number
  }): Promise<unknown>
  fetchOffsets(options: {
    groupId: string
    topics: string[]
    timeout?: number
  }): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>
}

/** A record to produce; `timestamp` (ms) sets its create time, e.g. one from two hours ago. */
export interface TestRecord {
  readonly key: string
  readonly value: string | null
  readonly timestamp?: number
}

/** Produces the records to `topic` in order, acknowledged (a plain producer, acks=all). */
export async function produce(topic: string, records: readonly TestRecord[]): Promise<void> {
  const producer = (await testClient()).producer({ kafkaJS: { acks: -1 } })
  await producer.connect()
  try {
    const messages = records.map((r) => ({
      key: r.key,
      value: r.value === null ? null : Buffer.from(r.value),
      ...(r.timestamp !== undefined && { timestamp: String(r.timestamp) }),
    }))
    await producer.send({ topic, messages })
  } finally {
    await producer.disconnect()
  }
}

export interface ReadRecord {
  readonly partition: number
  readonly offset: number
  readonly key: string | undefined
  readonly value: Buffer
  readonly headers: Record<string, string>
  /** The record's timestamp (the producer's create time), ms since the epoch. */
  readonly timestamp: number
}

/** Reads `count` records of `topic` from the start with a fresh group, like any plain consumer. */
export async function readTopic(topic: string, count: number, timeoutMs = 30_000) {
  const consumer = await readerConsumer()
  await consumer.connect()
  const records: ReadRecord[] = []
  try {
    await consumer.subscribe({ topics: [topic] })
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${records.length}/${count}`)),
        timeoutMs,
      )
      void consumer.run({
        eachMessage: ({ partition, message }) => {
          records.push(toRecord(partition, message))
          if (records.length >= count) {
            clearTimeout(timer)
            resolve()
          }
          return Promise.resolve()
        },
      })
    })
    await done
  } finally {
    await consumer.disconnect()
  }
  return records
}

function toRecord(partition: number, message: VendorMessage): ReadRecord {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = String(Array.isArray(value) ? value[0] : value)
  }
  return {
    partition,
    offset: Number(message.offset),
    key: message.key?.toString('utf8'),
    value: message.value ?? Buffer.alloc(0),
    headers,
    timestamp: Number(message.timestamp),
  }
}

/** A plain consumer of `topic` from its start (fresh group, no commits); resolves to its close. */
/** A plain consumer in a group of its own, reading from the start, committing nothing. */
async function readerConsumer() {
  return (await testClient()).consumer({
    kafkaJS: {
      groupId: uniqueName('reader'),
      fromBeginning: true,
      autoCommit: false,
      metadataMaxAge: metadataRefreshMs, // as the worker does: see sources/kafka.ts
    },
  })
}

async function consumeFromStart(
  topic: string,
  onRecord: (record: ReadRecord) => void,
): Promise<() => Promise<void>> {
  const consumer = await readerConsumer()
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic] })
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        onRecord(toRecord(partition, message))
        return Promise.resolve()
      },
    })
    // A watcher that never got its partitions would look like workers that publish nothing.
    await waitUntil(
      () => `the reader of ${topic} to be assigned its partitions`,
      () => consumer.assignment().length > 0,
      { timeoutMs: 60_000 },
    )
  } catch (err) {
    await consumer.disconnect()
    throw err
  }
  return () => consumer.disconnect()
}

export interface PartitionEnd {
  readonly low: number
  /** One past the last offset (the high watermark). */
  readonly high: number
}

/** Each partition's first and one-past-last offsets now. */
export function endOffsets(topic: string): Promise<Map<number, PartitionEnd>> {
  return withAdmin((admin, module) => fetchEnds(admin, module, topic))
}

async function fetchEnds(admin: VendorAdmin, module: VendorKafkaJS, topic: string) {
  const isolationLevel = module.IsolationLevel.READ_COMMITTED
  const marks = await admin.fetchTopicOffsets(topic, { timeout: 10_000, isolationLevel })
  return new Map(marks.map((m) => [m.partition, { low: Number(m.low), high: Number(m.high) }]))
}

/** Deletes every record of `topic` written so far, as retention would (its low watermarks move up). */
export function deleteRecords(topic: string): Promise<void> {
  return withAdmin(async (admin, module) => {
    const ends = await fetchEnds(admin, module, topic)
    await admin.deleteTopicRecords({
      topic,
      partitions: [...ends].map(([partition, end]) => ({ partition, offset: String(end.high) })),
      timeout: 10_000,
    })
  })
}

const recordKey = (r: ReadRecord) => `${r.partition}:${r.offset}`

/**
 * Every record of `topic` up to the ends it has when called, once each, ordered by partition and
 * offset. vectorize's producers are idempotent but not transactional, so offsets have no gaps and
 * the last record of a partition is at its high watermark minus one.
 */
export async function readToEnd(topic: string, timeoutMs = 60_000): Promise<ReadRecord[]> {
  const ends = await endOffsets(topic)
  const next = new Map<number, number>()
  const seen = new Map<string, ReadRecord>()
  const behind = () =>
    [...ends].filter(([p, end]) => end.high > end.low && (next.get(p) ?? end.low) < end.high)
  let close: (() => Promise<void>) | undefined
  if (behind().length > 0) {
    let finished = (): void => undefined
    const caughtUp = new Promise<void>((resolve) => (finished = resolve))
    close = await consumeFromStart(topic, (record) => {
      seen.set(recordKey(record), record)
      next.set(record.partition, Math.max(next.get(record.partition) ?? 0, record.offset + 1))
      if (behind().length === 0) finished()
    })
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const left = behind().map(([p, end]) => `${p}: ${next.get(p) ?? end.low}/${end.high}`)
        reject(
          new Error(`reading ${topic} to its end took over ${timeoutMs} ms (${left.join(', ')})`),
        )
      }, timeoutMs)
    })
    try {
      await Promise.race([caughtUp, timedOut])
    } finally {
      clearTimeout(timer)
      await close()
    }
  }
  return [...seen.values()].sort((a, b) => a.partition - b.partition || a.offset - b.offset)
}

export interface TopicWatch {
  /** Records seen so far, once each (a rejoining reader may see some again), in arrival order. */
  readonly records: readonly ReadRecord[]
  close(): Promise<void>
}

/**
 * Follows `topic` from its start in the background, calling `onRecord` once per record as it
 * arrives; closed after the test. For waiting on progress; final checks use `readToEnd`.
 */
export async function watchTopic(
  t: TestContext,
  topic: string,
  onRecord: (record: ReadRecord) => void = () => undefined,
): Promise<TopicWatch> {
  const records: ReadRecord[] = []
  const keys = new Set<string>()
  const close = await consumeFromStart(topic, (record) => {
    const key = recordKey(record)
    if (keys.has(key)) return
    keys.add(key)
    records.push(record)
    onRecord(record)
  })
  let closed: Promise<void> | undefined
  const watch = { records, close: () => (closed ??= close()) }
  t.after(() => watch.close())
  return watch
}

export interface GroupState {
  readonly stable: boolean
  /** Each member's partitions of the topic. */
  readonly members: readonly (readonly number[])[]
}

/** Looks at a consumer group from outside, as an operator would (kafka-consumer-groups.sh). */
export class GroupProbe {
  readonly #admin: TestAdmin
  readonly #module: VendorKafkaJS
  readonly #group: string
  readonly #topic: string

  /** Opens an admin connection that is closed after the test. */
  static async open(t: TestContext, group: string, topic: string): Promise<GroupProbe> {
    const client = await testKafka()
    const admin = client.kafka.admin() as TestAdmin
    await admin.connect()
    t.after(() => admin.disconnect().catch(() => undefined))
    return new GroupProbe(admin, client.module, group, topic)
  }

  private constructor(admin: TestAdmin, module: VendorKafkaJS, group: string, topic: string) {
    this.#admin = admin
    this.#module = module
    this.#group = group
    this.#topic = topic
  }

  async state(): Promise<GroupState> {
    const { groups } = await this.#admin.describeGroups([this.#group], { timeout: 10_000 })
    const group = groups[0]
    const members = (group?.members ?? []).map((m) =>
      (m.assignment?.topicPartitions ?? [])
        .filter((tp) => tp.topic === this.#topic)
        .map((tp) => tp.partition)
        .sort((a, b) => a - b),
    )
    return { stable: group?.state === this.#module.ConsumerGroupStates.STABLE, members }
  }

  /** The group's committed offset per partition; null where it never committed. */
  async committed(): Promise<Map<number, number | null>> {
    const [topic] = await this.#admin.fetchOffsets({
      groupId: this.#group,
      topics: [this.#topic],
      timeout: 10_000,
    })
    return new Map(
      (topic?.partitions ?? []).map((p) => {
        const offset = Number(p.offset)
        return [p.partition, offset >= 0 ? offset : null] as const
      }),
    )
  }

  ends(): Promise<Map<number, PartitionEnd>> {
    return fetchEnds(this.#admin, this.#module, this.#topic)
  }

  /** Messages of the topic not yet committed by the group, over all partitions. */
  async lag(): Promise<number> {
    const [ends, committed] = await Promise.all([this.ends(), this.committed()])
    let lag = 0
    for (const [p, end] of ends) lag += end.high - (committed.get(p) ?? end.low)
    return lag
  }

  /** Waits until the group is stable with `count` members that each own some partitions. */
  async waitForMembers(count: number, timeoutMs: number, check?: () => void): Promise<GroupState> {
    let last: GroupState = { stable: false, members: [] }
    await waitUntil(
      () => `${count} members with partitions in ${this.#group}: ${JSON.stringify(last)}`,
      async () => {
        last = (await untilTimedOut(() => this.state())) ?? last
        return (
          last.stable && last.members.length === count && last.members.every((m) => m.length > 0)
        )
      },
      { timeoutMs, intervalMs: 250, ...(check && { check }) },
    )
    return last
  }

  /** Waits until the group's commits reach the end of every partition. */
  async waitForCommitsAtEnd(timeoutMs: number): Promise<void> {
    let left = ''
    await waitUntil(
      () => `the commits of ${this.#group} to reach the end of ${this.#topic}: ${left}`,
      async () => {
        const read = await untilTimedOut(() => Promise.all([this.ends(), this.committed()]))
        if (!read) return false
        const [ends, committed] = read
        const short = [...ends].filter(([p, end]) => (committed.get(p) ?? end.low) < end.high)
        left = short.map(([p, end]) => `${p}: ${committed.get(p)}/${end.high}`).join(', ')
        return short.length === 0
      },
      { timeoutMs, intervalMs: 250 },
    )
  }
}

/**
 * Runs one poll of a wait loop; a broker request that timed out (a broker just started or
 * restarted is slow to answer its first group requests) counts as "not yet", not as a failure.
 */
async function untilTimedOut<T>(poll: () => Promise<T>): Promise<T | undefined> {
  try {
    return await poll()
  } catch (err) {
    if (timedOut(err)) return undefined
    throw err
  }
}

function timedOut(err: unknown): boolean {
  return /timed out/i.test(String((err as Error).message))
}
