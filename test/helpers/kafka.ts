/**
 * Kafka test helpers over the real broker that `scripts/services.sh up kafka` starts. Tests skip
 * (with the reason below) when VECTORIZE_TEST_KAFKA_BROKERS is unset, so `npm test` needs no
 * broker. Every test gets fresh random topic and group names; what a helper creates it removes
 * after the test.
 */
import { randomUUID } from 'node:crypto'
import type { TestContext } from 'node:test'
import { configSchema } from '../../src/config/schema.ts'
import type { KafkaSettings } from '../../src/kafka/client.ts'
import { createClient } from '../../src/kafka/client.ts'
import type { VendorAdmin, VendorKafka, VendorMessage } from '../../src/kafka/vendor.ts'
import { silentLogger } from '../../src/observability/logger.ts'

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
  const settings = kafkaSettings()
  return (await createClient(settings, silentLogger)).kafka
}

/** Creates the topics now and deletes them after the test. */
export async function createTopics(
  t: TestContext,
  topics: readonly string[],
  partitions: number,
): Promise<void> {
  dropTopicsAfter(t, topics)
  await withAdmin((admin) =>
    admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      timeout: 10_000,
    }),
  )
}

/** Deletes these topics after the test (for topics the code under test creates). */
export function dropTopicsAfter(t: TestContext, topics: readonly string[]): void {
  t.after(() => withAdmin((admin) => admin.deleteTopics({ topics: [...topics] })).catch(() => {}))
}

async function withAdmin<T>(fn: (admin: VendorAdmin) => Promise<T>): Promise<T> {
  const admin = (await testClient()).admin()
  await admin.connect()
  try {
    return await fn(admin)
  } finally {
    await admin.disconnect()
  }
}

export interface ReadRecord {
  readonly partition: number
  readonly offset: number
  readonly key: string | undefined
  readonly value: Buffer
  readonly headers: Record<string, string>
}

/** Reads `count` records of `topic` from the start with a fresh group, like any plain consumer. */
export async function readTopic(topic: string, count: number, timeoutMs = 30_000) {
  const consumer = (await testClient()).consumer({
    kafkaJS: { groupId: uniqueName('reader'), fromBeginning: true, autoCommit: false },
  })
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
  }
}
