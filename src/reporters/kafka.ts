/**
 * KafkaReporter: status updates to `kafka.topics.status`, results to `kafka.topics.results`, dead
 * letters to `kafka.topics.dlq` (SPEC §4.2), all through one idempotent acks=all producer. Status
 * and result records are JSON keyed by task_id, so one task's records stay ordered on one
 * partition. A dead letter is the original message bytes, unchanged, with string headers naming
 * the error class, code and reason, the origin topic/partition/offset, the attempts, the worker and
 * the task (reliability.md A2.3). Each method resolves once Kafka acknowledged the record; broker
 * trouble rejects with a retriable `reporter_unavailable`.
 *
 * It is not a StatusView: `vectorize status` on Kafka would have to read the status topic back.
 */
import type { KafkaDeps, KafkaSettings } from '../kafka/client.ts'
import { openClient } from '../kafka/open.ts'
import { asBuffer, Producer } from '../kafka/producer.ts'
import type { Logger } from '../observability/logger.ts'
import type { ResultMessage, StatusMessage } from '../protocol/report.ts'
import type { Signal } from '../worker/types.ts'
import type { DeadLetter, Reporter } from './reporter.ts'

export interface KafkaReporterConfig {
  readonly kafka: KafkaSettings
}

/** Header names of a dead letter; values are strings. */
export const deadLetterHeaders = {
  errorClass: 'x-error-class',
  errorCode: 'x-error-code',
  errorReason: 'x-error-reason',
  originTopic: 'x-origin-topic',
  originPartition: 'x-origin-partition',
  originOffset: 'x-origin-offset',
  attempts: 'x-attempts',
  workerId: 'x-worker-id',
  taskId: 'x-task-id',
} as const

export class KafkaReporter implements Reporter {
  readonly kind = 'kafka'
  readonly #topics: KafkaSettings['topics']
  readonly #producer: Producer
  #closed: Promise<void> | undefined

  static async create(config: KafkaReporterConfig, deps: KafkaDeps): Promise<KafkaReporter> {
    const logger: Logger = deps.logger.child({ component: 'kafka-reporter' })
    const client = await openClient(config.kafka, { ...deps, logger }, 'reporter_unavailable')
    const producer = await Producer.connect(client.kafka, 'reporter_unavailable')
    return new KafkaReporter(config.kafka.topics, producer)
  }

  private constructor(topics: KafkaSettings['topics'], producer: Producer) {
    this.#topics = topics
    this.#producer = producer
  }

  async status(message: StatusMessage, { signal }: Signal): Promise<void> {
    await this.#producer.send(this.#topics.status, [json(message.task_id, message)], signal)
  }

  async result(message: ResultMessage, { signal }: Signal): Promise<void> {
    await this.#producer.send(this.#topics.results, [json(message.task_id, message)], signal)
  }

  async deadLetter(letter: DeadLetter, { signal }: Signal): Promise<void> {
    const record = { key: letter.taskId, value: asBuffer(letter.value), headers: headersOf(letter) }
    await this.#producer.send(this.#topics.dlq, [record], signal)
  }

  close(): Promise<void> {
    this.#closed ??= this.#producer.close()
    return this.#closed
  }
}

function json(key: string, value: unknown) {
  return { key, value: Buffer.from(JSON.stringify(value)) }
}

export function headersOf(letter: DeadLetter): Record<string, string> {
  const h = deadLetterHeaders
  return {
    [h.errorClass]: letter.error.class,
    [h.errorCode]: letter.error.code,
    [h.errorReason]: letter.error.message,
    [h.originTopic]: letter.origin.topic,
    [h.originPartition]: String(letter.origin.partition),
    [h.originOffset]: String(letter.origin.offset),
    [h.attempts]: String(letter.attempts),
    [h.workerId]: letter.workerId,
    [h.taskId]: letter.taskId,
  }
}
