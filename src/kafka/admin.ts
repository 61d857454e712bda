/**
 * Topic set-up at start: with `kafka.create_topics`, the tasks, status, results and dead-letter
 * topics are created when missing (idempotent: an existing topic is left as it is, partitions and
 * all); without it, a missing tasks topic is a configuration error rather than a silent wait.
 */
import type { Logger } from '../observability/logger.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { KafkaSettings } from './client.ts'
import type { UnavailableCode } from './errors.ts'
import { kafkaError } from './errors.ts'
import type { VendorAdmin, VendorKafka } from './vendor.ts'

const adminTimeoutMs = 10_000

/** Every topic vectorize uses, tasks first. */
export function allTopics(settings: KafkaSettings): string[] {
  const { tasks, status, results, dlq } = settings.topics
  return [...new Set([tasks, status, results, dlq])]
}

/** Creates the missing ones of `topics` (all four by default) with the configured layout. */
export async function ensureTopics(
  kafka: VendorKafka,
  settings: KafkaSettings,
  logger: Logger,
  code: UnavailableCode,
  topics: readonly string[] = allTopics(settings),
): Promise<void> {
  await withAdmin(kafka, code, async (admin) => {
    const created = await admin.createTopics({
      topics: topics.map((topic) => ({
        topic,
        numPartitions: settings.partitions,
        replicationFactor: settings.replication_factor,
      })),
      timeout: adminTimeoutMs,
    })
    logger.info({ topics, all_new: created }, 'kafka topics ensured')
  })
}

/** Partitions of `topic`; a missing topic is `config_invalid` naming the setting to change. */
export async function topicPartitions(
  admin: VendorAdmin,
  topic: string,
  code: UnavailableCode,
): Promise<number[]> {
  let partitions: number[]
  try {
    const [metadata] = await admin.fetchTopicMetadata({ topics: [topic], timeout: adminTimeoutMs })
    partitions = metadata?.partitions.map((p) => p.partitionId) ?? []
  } catch (err) {
    if (!isUnknownTopic(err)) throw kafkaError(err, code, `cannot read metadata of ${topic}`)
    partitions = []
  }
  if (partitions.length === 0) {
    throw new VectorizeError(
      'config_invalid',
      `Kafka topic ${topic} does not exist; create it, or set kafka.create_topics: true`,
      { details: { topic } },
    )
  }
  return partitions
}

export async function withAdmin<T>(
  kafka: VendorKafka,
  code: UnavailableCode,
  fn: (admin: VendorAdmin) => Promise<T>,
): Promise<T> {
  const admin = kafka.admin()
  try {
    await admin.connect()
  } catch (err) {
    throw kafkaError(err, code, 'cannot connect the Kafka admin client')
  }
  try {
    return await fn(admin).catch((err: unknown) => {
      throw kafkaError(err, code, 'Kafka admin request failed')
    })
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

function isUnknownTopic(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === 3 || code === -188 // ERR_UNKNOWN_TOPIC_OR_PART, ERR__UNKNOWN_TOPIC
}
