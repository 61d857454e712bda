/**
 * The slice of `@confluentinc/kafka-javascript@1.10.1` (its KafkaJS-compatible promise API) that
 * vectorize uses, typed here rather than imported: the client is an optional dependency whose
 * native build may be missing, and the project must still compile and run embedded without it.
 * Checked against the package's `types/kafkajs.d.ts`; the version is pinned exactly, so re-check
 * these shapes when bumping it. Only files under src/kafka, sources/kafka* and reporters/kafka*
 * may import this module.
 */

/** Config objects are passed through to the client; librdkafka keys sit outside `kafkaJS`. */
export type VendorConfig = Record<string, unknown>

export interface VendorLogger {
  info(message: string, extra?: object): void
  error(message: string, extra?: object): void
  warn(message: string, extra?: object): void
  debug(message: string, extra?: object): void
  namespace(namespace: string, logLevel?: number): VendorLogger
  setLogLevel(logLevel: number): void
}

export interface VendorTopicPartition {
  readonly topic: string
  readonly partition: number
}

export interface VendorTopicPartitionOffset extends VendorTopicPartition {
  readonly offset: string
  /** Stored with the commit (offset.metadata.max.bytes, 4 KiB by default). */
  readonly metadata?: string
}

/** `committed()` answers `offset: null` for a partition the group never committed. */
export interface VendorCommitted extends VendorTopicPartition {
  readonly offset: string | null
  readonly metadata?: string | null
}

export interface VendorMessage {
  readonly key: Buffer | null
  /** An empty value arrives as `null` (librdkafka does not tell empty from null). */
  readonly value: Buffer | null
  /** Milliseconds since the epoch, as a decimal string. */
  readonly timestamp: string
  readonly offset: string
  readonly headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>
}

export interface VendorEachMessagePayload {
  readonly topic: string
  readonly partition: number
  readonly message: VendorMessage
  /** Pauses this message's partition once `eachMessage` returns; fetching resumes after it. */
  readonly pause: () => () => void
}

/** Third argument of the consumer's `rebalance_cb` (KafkaJS mode), see `lib/kafkajs/_consumer.js`. */
export interface VendorAssignmentFns {
  assignmentLost(): boolean
}

export interface VendorRebalanceError {
  /** ERR__ASSIGN_PARTITIONS (-175) or ERR__REVOKE_PARTITIONS (-174). */
  readonly code: number
}

export type VendorRebalanceCallback = (
  err: VendorRebalanceError,
  assignment: VendorTopicPartition[],
  fns: VendorAssignmentFns,
) => Promise<void>

export interface VendorConsumer {
  connect(): Promise<void>
  disconnect(): Promise<void>
  subscribe(subscription: { topics: string[] }): Promise<void>
  run(config: {
    eachMessage: (payload: VendorEachMessagePayload) => Promise<void>
    partitionsConsumedConcurrently?: number
  }): Promise<void>
  commitOffsets(offsets: VendorTopicPartitionOffset[]): Promise<void>
  committed(partitions: VendorTopicPartition[], timeoutMs?: number): Promise<VendorCommitted[]>
  pause(topics: { topic: string; partitions: number[] }[]): void
  resume(topics: { topic: string; partitions: number[] }[]): void
  /** The partitions assigned to this consumer now. */
  assignment(): VendorTopicPartition[]
  dependentAdmin(): VendorAdmin
}

export interface VendorProducerMessage {
  key?: Buffer | string | null
  value: Buffer | null
  /** A header value is a string or raw bytes (src/producer.cc). */
  headers?: Record<string, string | Buffer>
}

export interface VendorProducer {
  connect(): Promise<void>
  disconnect(): Promise<void>
  /** Resolves once every message has its delivery report (acknowledged per the producer's acks). */
  send(record: { topic: string; messages: VendorProducerMessage[] }): Promise<unknown>
}

export interface VendorPartitionMetadata {
  readonly partitionId: number
}

export interface VendorGroupDescription {
  /** One of `ConsumerGroupStates`. */
  readonly state: number
  readonly members: {
    readonly assignment?: { readonly topicPartitions?: VendorTopicPartition[] }
  }[]
}

export interface VendorAdmin {
  connect(): Promise<void>
  disconnect(): Promise<void>
  createTopics(options: {
    topics: {
      topic: string
      numPartitions: number
      replicationFactor: number
      /** Topic configs, e.g. `max.message.bytes`. */
      configEntries?: { name: string; value: string }[]
    }[]
    timeout?: number
  }): Promise<boolean>
  deleteTopics(options: { topics: string[]; timeout?: number }): Promise<void>
  fetchTopicMetadata(options: {
    topics: string[]
    timeout?: number
  }): Promise<{ name: string; partitions: VendorPartitionMetadata[] }[]>
  describeGroups(
    groups: string[],
    options?: { timeout?: number },
  ): Promise<{ groups: VendorGroupDescription[] }>
  fetchTopicOffsets(
    topic: string,
    options: { timeout?: number; isolationLevel: number },
  ): Promise<{ partition: number; high: string; low: string }[]>
  /** A group's committed offsets; `offset` is "-1" where it never committed. */
  fetchOffsets(options: {
    groupId: string
    topics: string[]
    timeout?: number
  }): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>
}

export interface VendorKafka {
  consumer(config: VendorConfig): VendorConsumer
  producer(config: VendorConfig): VendorProducer
  admin(config?: VendorConfig): VendorAdmin
}

/** `require('@confluentinc/kafka-javascript').KafkaJS`, the parts used. */
export interface VendorKafkaJS {
  readonly Kafka: new (config: VendorConfig) => VendorKafka
  readonly IsolationLevel: { readonly READ_COMMITTED: number }
  readonly ConsumerGroupStates: { readonly STABLE: number }
  readonly logLevel: { readonly NOTHING: number; readonly WARN: number; readonly INFO: number }
}

/** librdkafka error codes the adapters branch on (`KafkaJS.ErrorCodes`). */
export const errorCodes = {
  revokePartitions: -174,
  assignPartitions: -175,
} as const

/**
 * A record too big: the producer's own `message.max.bytes` or the topic's `max.message.bytes`
 * (librdkafka reports both as ERR_MSG_SIZE_TOO_LARGE), or a batch over the broker's limit.
 */
export const sizeErrorCodes: ReadonlySet<number> = new Set([
  10, // ERR_MSG_SIZE_TOO_LARGE
  18, // ERR_RECORD_LIST_TOO_LARGE
])

/** Errors that retrying cannot fix: configuration, credentials, authorisation, sizes. */
export const permanentErrorCodes: ReadonlySet<number> = new Set([
  -186, // ERR__INVALID_ARG
  -181, // ERR__SSL
  -170, // ERR__NOT_IMPLEMENTED
  -169, // ERR__AUTHENTICATION
  -150, // ERR__FATAL (an idempotent producer that hit it is unusable)
  10, // ERR_MSG_SIZE_TOO_LARGE (translated to `record_too_large`, see errors.ts)
  18, // ERR_RECORD_LIST_TOO_LARGE (likewise)
  29, // ERR_TOPIC_AUTHORIZATION_FAILED
  30, // ERR_GROUP_AUTHORIZATION_FAILED
  31, // ERR_CLUSTER_AUTHORIZATION_FAILED
  33, // ERR_UNSUPPORTED_SASL_MECHANISM
  37, // ERR_INVALID_PARTITIONS
  38, // ERR_INVALID_REPLICATION_FACTOR
  40, // ERR_INVALID_CONFIG
  44, // ERR_POLICY_VIOLATION
  58, // ERR_SASL_AUTHENTICATION_FAILED
])

/**
 * The node-rdkafka-style consumer of the same package (`KafkaConsumer`, types/rdkafka.d.ts): it
 * can `assign` partitions at given offsets and `consume` a bounded number of records with no
 * consumer group, which the KafkaJS API cannot. The dead-letter tools page through topics with it.
 */
export interface VendorRdMessage {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly key?: Buffer | string | null
  readonly value: Buffer | null
  /** Milliseconds since the epoch. */
  readonly timestamp?: number
  /** One object per header, in order: `[{ name: Buffer }, …]`. */
  readonly headers?: readonly Readonly<Record<string, Buffer | string>>[]
}

export interface VendorRdConsumer {
  connect(options: { timeout: number }, cb: (err: unknown) => void): unknown
  disconnect(cb: (err: unknown) => void): unknown
  getMetadata(
    options: { topic: string; timeout: number },
    cb: (err: unknown, data: { topics: { name: string; partitions: { id: number }[] }[] }) => void,
  ): unknown
  queryWatermarkOffsets(
    topic: string,
    partition: number,
    timeout: number,
    cb: (err: unknown, offsets: { lowOffset: number; highOffset: number }) => void,
  ): unknown
  assign(assignments: { topic: string; partition: number; offset: number }[]): unknown
  /** Adds partitions to the assignment (no consumer group involved when nothing subscribed). */
  incrementalAssign(assignments: { topic: string; partition: number; offset: number }[]): unknown
  unassign(): unknown
  /**
   * The first offset of each partition whose timestamp is at or after `offset` (a time in ms);
   * -1 (the end) where no record is that recent.
   */
  offsetsForTimes(
    partitions: { topic: string; partition: number; offset: number }[],
    timeout: number,
    cb: (err: unknown, offsets: { topic: string; partition: number; offset: number }[]) => void,
  ): void
  setDefaultConsumeTimeout(ms: number): void
  consume(count: number, cb: (err: unknown, messages: VendorRdMessage[]) => void): void
  on(event: 'event.error', listener: (err: unknown) => void): unknown
  on(
    event: 'partition.eof',
    listener: (eof: { topic: string; partition: number; offset: number }) => void,
  ): unknown
}

/**
 * `import('@confluentinc/kafka-javascript')`: the KafkaJS API as a named export; the rdkafka
 * classes only on the CommonJS module object (`default`), which Node's named-export detection
 * does not see through.
 */
export interface VendorModule {
  readonly KafkaJS?: VendorKafkaJS
  readonly default?: VendorRdKafka
}

export interface VendorRdKafka {
  readonly KafkaConsumer?: new (config: VendorConfig, topicConfig: VendorConfig) => VendorRdConsumer
}
