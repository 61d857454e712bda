/**
 * KafkaReporter: status updates to `kafka.topics.status`, results to `kafka.topics.results`, dead
 * letters to `kafka.topics.dlq` (SPEC §4.2), all through one idempotent acks=all producer. Status
 * and result records are JSON keyed by task_id, so one task's records stay ordered on one
 * partition. A dead letter is the original message bytes with headers saying what was wrong and
 * where it came from, cut to fit when it is too big (kafka-dead-letter.ts). Each method resolves
 * once Kafka acknowledged the record; broker trouble rejects with a retriable
 * `reporter_unavailable`, a status or result record too big with `record_too_large` (a failure of
 * that one task, see worker/processor.ts).
 */
import type { KafkaDeps, KafkaSettings } from '../kafka/client.ts'
import { checkSizeLimits } from '../kafka/limits.ts'
import { openClient } from '../kafka/open.ts'
import { Producer } from '../kafka/producer.ts'
import type { Logger } from '../observability/logger.ts'
import type { ResultMessage, StatusMessage } from '../protocol/report.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { Signal } from '../worker/types.ts'
import { deadLetterRecord, withoutPayload } from './kafka-dead-letter.ts'
import type { DeadLetter, Reporter } from './reporter.ts'

export interface KafkaReporterConfig {
  readonly kafka: KafkaSettings
}

export { deadLetterHeaders } from './kafka-dead-letter.ts'

export class KafkaReporter implements Reporter {
  readonly kind = 'kafka'
  readonly #topics: KafkaSettings['topics']
  readonly #producer: Producer
  readonly #logger: Logger
  #closed: Promise<void> | undefined

  static async create(config: KafkaReporterConfig, deps: KafkaDeps): Promise<KafkaReporter> {
    const logger: Logger = deps.logger.child({ component: 'kafka-reporter' })
    const client = await openClient(config.kafka, { ...deps, logger }, 'reporter_unavailable')
    const producer = await Producer.connect(client.kafka, 'reporter_unavailable', {
      maxMessageBytes: config.kafka.max_message_bytes,
    })
    await checkSizeLimits(config.kafka, logger)
    return new KafkaReporter(config.kafka.topics, producer, logger)
  }

  private constructor(topics: KafkaSettings['topics'], producer: Producer, logger: Logger) {
    this.#topics = topics
    this.#producer = producer
    this.#logger = logger
  }

  async status(message: StatusMessage, { signal }: Signal): Promise<void> {
    await this.#send(this.#topics.status, 'status', json(message.task_id, message), signal)
  }

  async result(message: ResultMessage, { signal }: Signal): Promise<void> {
    await this.#send(this.#topics.results, 'result', json(message.task_id, message), signal)
  }

  async #send(
    topic: string,
    what: string,
    record: { key: string; value: Buffer },
    signal: AbortSignal,
  ) {
    try {
      await this.#producer.send(topic, [record], signal)
    } catch (err) {
      if (!tooLarge(err)) throw err
      throw new VectorizeError(
        'record_too_large',
        `the ${what} record of task ${record.key} is ${record.value.length} bytes, more than ` +
          `kafka.max_message_bytes (${this.#producer.maxMessageBytes}) or the max.message.bytes of topic ${topic} allow`,
        { cause: err },
      )
    }
  }

  /**
   * Never refused for the letter's size: cut to the producer's limit, and sent without a payload
   * when the topic refuses even that (its max.message.bytes is below kafka.max_message_bytes).
   */
  async deadLetter(letter: DeadLetter, { signal }: Signal): Promise<void> {
    const topic = this.#topics.dlq
    const record = deadLetterRecord(letter, this.#producer.maxMessageBytes)
    if (record.truncated) {
      const [original, sent] = [letter.value.byteLength, record.value.length]
      this.#logger.warn(
        { task_id: letter.taskId, bytes: original, sent },
        `dead letter of ${original} bytes cut to ${sent} (kafka.max_message_bytes: ${this.#producer.maxMessageBytes})`,
      )
    }
    try {
      await this.#producer.send(topic, [record], signal)
    } catch (err) {
      if (!tooLarge(err) || record.value.length === 0) throw err
      this.#logger.error(
        { task_id: letter.taskId, topic, bytes: record.value.length },
        `topic ${topic} refused a dead letter the producer allowed: its max.message.bytes is below ` +
          `kafka.max_message_bytes (${this.#producer.maxMessageBytes}); sent without its payload`,
      )
      await this.#producer.send(topic, [withoutPayload(letter)], signal)
    }
  }

  close(): Promise<void> {
    this.#closed ??= this.#producer.close()
    return this.#closed
  }
}

function json(key: string, value: unknown) {
  return { key, value: Buffer.from(JSON.stringify(value)) }
}

function tooLarge(err: unknown): boolean {
  return err instanceof VectorizeError && err.code === 'record_too_large'
}
