/**
 * The consumer group's lag on the tasks topic, as an operator sees it from outside
 * (kafka-consumer-groups.sh --describe): per partition, its end (READ_COMMITTED) minus the
 * group's committed offset (the partition's start where it never committed). One admin
 * connection for the reader's life, two requests per read.
 */
import type { Logger } from '../observability/logger.ts'
import { VectorizeError } from '../worker/errors.ts'
import type { KafkaSettings } from './client.ts'
import { createClient } from './client.ts'
import { abortable, kafkaError } from './errors.ts'
import { InFlight } from './in-flight.ts'
import type { VendorAdmin, VendorKafkaJS } from './vendor.ts'

export interface PartitionLag {
  readonly partition: number
  readonly end: number
  /** Where the group will resume; null where it never committed. */
  readonly committed: number | null
  readonly lag: number
}

const timeout = 5_000

export class GroupLag {
  readonly #admin: VendorAdmin
  readonly #module: VendorKafkaJS
  readonly #settings: KafkaSettings
  #connected: Promise<void> | undefined
  #closed = false
  readonly #native = new InFlight()

  static async open(settings: KafkaSettings, deps: { logger: Logger }): Promise<GroupLag> {
    const client = await createClient(settings, deps.logger.child({ component: 'group-lag' }))
    return new GroupLag(client.kafka.admin(), client.module, settings)
  }

  private constructor(admin: VendorAdmin, module: VendorKafkaJS, settings: KafkaSettings) {
    this.#admin = admin
    this.#module = module
    this.#settings = settings
  }

  async read(signal: AbortSignal): Promise<PartitionLag[]> {
    const topic = this.#settings.topics.tasks
    if (this.#closed) throw new VectorizeError('source_unavailable', 'the lag reader is closed')
    this.#connected ??= this.#native.track(this.#admin.connect())
    this.#connected.catch(() => (this.#connected = undefined)) // connect again next time
    try {
      await abortable(this.#connected, signal)
      const isolationLevel = this.#module.IsolationLevel.READ_COMMITTED
      const [ends, groups] = await abortable(
        this.#native.track(
          Promise.all([
            this.#admin.fetchTopicOffsets(topic, { timeout, isolationLevel }),
            this.#admin.fetchOffsets({
              groupId: this.#settings.group_id,
              topics: [topic],
              timeout,
            }),
          ]),
        ),
        signal,
      )
      const committed = groups.find((g) => g.topic === topic)?.partitions ?? []
      return ends
        .map((e) => {
          const at = Number(committed.find((c) => c.partition === e.partition)?.offset ?? -1)
          const done = at >= 0 ? at : null
          const end = Number(e.high)
          const lag = Math.max(0, end - Math.max(done ?? Number(e.low), Number(e.low)))
          return { partition: e.partition, end, committed: done, lag }
        })
        .sort((a, b) => a.partition - b.partition)
    } catch (err) {
      if (signal.aborted) throw err
      throw kafkaError(
        err,
        'source_unavailable',
        `cannot read the lag of group ${this.#settings.group_id}`,
      )
    }
  }

  /** Waits for a read still running natively (see InFlight) before it disconnects. */
  async close(): Promise<void> {
    this.#closed = true
    await this.#native.settled()
    if (this.#connected) await this.#admin.disconnect().catch(() => undefined)
  }
}
