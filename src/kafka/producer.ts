/**
 * The one producer setup vectorize uses, for tasks (`submit`) and for reports: idempotent, so a
 * retried produce never duplicates or reorders records, and acks=all, so a send resolves only once
 * every in-sync replica has the records — the worker commits a task's offset only after that.
 */
import { VectorizeError } from '../worker/errors.ts'
import { abortable, kafkaError, type UnavailableCode } from './errors.ts'
import type { VendorKafka, VendorProducer, VendorProducerMessage } from './vendor.ts'

/**
 * Records per `send`: librdkafka refuses produce calls beyond its local queue
 * (queue.buffering.max.messages, 100,000) with ERR__QUEUE_FULL, so big publishes go in slices.
 */
const sliceSize = 10_000

export class Producer {
  readonly #producer: VendorProducer
  readonly #code: UnavailableCode
  readonly #maxMessageBytes: number
  #closed: Promise<void> | undefined

  static async connect(
    kafka: VendorKafka,
    code: UnavailableCode,
    options: { readonly maxMessageBytes: number },
  ): Promise<Producer> {
    const producer = kafka.producer({
      // idempotent defaults to false in the KafkaJS block (MIGRATION.md producer table).
      kafkaJS: { idempotent: true, acks: -1, allowAutoTopicCreation: false },
      // librdkafka refuses a bigger record itself, with ERR_MSG_SIZE_TOO_LARGE (record_too_large).
      'message.max.bytes': options.maxMessageBytes,
    })
    try {
      await producer.connect()
    } catch (err) {
      throw kafkaError(err, code, 'cannot connect the Kafka producer')
    }
    return new Producer(producer, code, options.maxMessageBytes)
  }

  private constructor(producer: VendorProducer, code: UnavailableCode, maxMessageBytes: number) {
    this.#producer = producer
    this.#code = code
    this.#maxMessageBytes = maxMessageBytes
  }

  /** The largest record this producer sends (`message.max.bytes`). */
  get maxMessageBytes(): number {
    return this.#maxMessageBytes
  }

  /**
   * Sends every message and resolves once all are acknowledged. On abort it rejects at once; the
   * records already handed to librdkafka may still be written (at-least-once, like a retry).
   */
  async send(
    topic: string,
    messages: readonly VendorProducerMessage[],
    signal: AbortSignal,
  ): Promise<void> {
    if (this.#closed) throw new VectorizeError('internal', `cannot send to ${topic}: closed`)
    signal.throwIfAborted()
    for (let start = 0; start < messages.length; start += sliceSize) {
      // send() rewrites the message objects it gets (partition, timestamp, headers): pass copies.
      const slice = messages.slice(start, start + sliceSize).map((m) => ({ ...m }))
      try {
        await abortable(this.#producer.send({ topic, messages: slice }), signal)
      } catch (err) {
        if (signal.aborted) throw err
        throw kafkaError(err, this.#code, `cannot produce to Kafka topic ${topic}`)
      }
    }
  }

  /** Idempotent; waits for records still queued (librdkafka flushes on disconnect, 5 s). */
  close(): Promise<void> {
    this.#closed ??= this.#producer.disconnect().catch(() => undefined)
    return this.#closed
  }
}

/** A zero-copy Buffer view of bytes handed to the producer. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
}
