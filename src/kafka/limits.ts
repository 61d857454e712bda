/**
 * Start-up check of record sizes (issue 10): the producer's limit (`kafka.max_message_bytes`)
 * against the `max.message.bytes` of the topics, where the broker lets them be read. A tasks topic
 * that allows more than the producer sends means the dead letters of the biggest tasks are cut; a
 * status, results or dead-letter topic that keeps less than the producer sends means the broker
 * refuses records the producer allowed. Either is logged once, naming both settings.
 */
import type { Logger } from '../observability/logger.ts'
import type { KafkaSettings } from './client.ts'
import { describeTopicConfigs } from './topic-configs.ts'

const limitName = 'max.message.bytes'
const readTimeoutMs = 5_000

export interface LimitFinding {
  readonly topic: string
  readonly message: string
}

/** Reads the topics' limits and logs what does not fit together; resolves in any case. */
export async function checkSizeLimits(settings: KafkaSettings, logger: Logger): Promise<void> {
  const { tasks, status, results, dlq } = settings.topics
  const topics = [...new Set([tasks, status, results, dlq])]
  const read = await describeTopicConfigs(settings, topics, [limitName], readTimeoutMs)
  if (!read.ok) {
    logger.info(
      { reason: read.reason },
      `could not read the topics' ${limitName}; check that it is at least kafka.max_message_bytes ` +
        `(${settings.max_message_bytes}) on ${status}, ${results} and ${dlq}`,
    )
    return
  }
  const limits = new Map<string, number>()
  for (const [topic, configs] of read.topics) {
    const value = Number(configs.get(limitName))
    if (Number.isFinite(value) && value > 0) limits.set(topic, value)
  }
  for (const finding of sizeFindings(settings, limits)) {
    logger.warn({ topic: finding.topic }, finding.message)
  }
}

/** What does not fit between `kafka.max_message_bytes` and the topics' limits. */
export function sizeFindings(
  settings: Pick<KafkaSettings, 'topics' | 'max_message_bytes'>,
  limits: ReadonlyMap<string, number>,
): LimitFinding[] {
  const producer = settings.max_message_bytes
  const { tasks, status, results, dlq } = settings.topics
  const findings: LimitFinding[] = []
  const taskLimit = limits.get(tasks)
  if (taskLimit !== undefined && taskLimit > producer) {
    findings.push({
      topic: tasks,
      message:
        `tasks topic ${tasks} allows messages of ${taskLimit} bytes (${limitName}), more than ` +
        `kafka.max_message_bytes (${producer}): the dead letter of a task over ~${producer} bytes ` +
        `is sent truncated (x-payload-truncated); raise kafka.max_message_bytes (and the ` +
        `${limitName} of ${dlq}) to keep them whole`,
    })
  }
  const roles: [string, string][] = [
    [status, 'status'],
    [results, 'results'],
    [dlq, 'dlq'],
  ]
  for (const [topic, role] of roles) {
    const limit = limits.get(topic)
    if (limit === undefined || limit >= producer) continue
    findings.push({
      topic,
      message:
        `topic ${topic} (kafka.topics.${role}) keeps records of at most ${limit} bytes ` +
        `(${limitName}), less than kafka.max_message_bytes (${producer}): the broker refuses ` +
        `what the producer allows (a dead letter is then sent without its payload, a result ` +
        `fails its task with record_too_large); raise the topic's ${limitName} or lower ` +
        `kafka.max_message_bytes`,
    })
  }
  return findings
}
