/**
 * TaskSource: where task messages come from. Semantics follow Kafka so the worker treats every
 * source alike: messages are ordered per partition, each has an offset, and `commit` records the
 * next offset to read. Delivery is at-least-once: anything not committed is delivered again after a
 * restart. Implementations: local.ts (durable on-disk log, the embedded default), kafka.ts.
 */
import type { Signal } from '../worker/types.ts'

export interface SourceMessage {
  /** Topic or log name, for dead-letter headers and synthetic task ids. */
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly value: Uint8Array
  /** The message's key, where it has one (Kafka); kept in its dead letter. */
  readonly key?: Uint8Array
  /** When the message was enqueued (ms since epoch), for queue-time measurement. */
  readonly timestamp: number
  /**
   * How many worker processes died with this message in flight, where the source can tell
   * (kafka-guard.ts); the worker dead-letters it past `processing.max_crashes`.
   */
  readonly crashes?: number
}

export interface Position {
  readonly partition: number
  /** The next offset to read: one past the last message that is completely done. */
  readonly offset: number
}

/** What a source tells the worker about its partitions (Kafka rebalances; the local log has none). */
export interface PartitionEvents {
  /**
   * Partitions are being taken away. Before this resolves, the worker finishes (within a bound) the
   * work in flight from them and commits what is done; afterwards it never commits them again. The
   * source gives the partitions up only once it has resolved.
   */
  revoked(partitions: readonly number[]): Promise<RevokeOutcome | void>
}

/** What the consumer of a revocation did with it, for the source's one log line about it. */
export interface RevokeOutcome {
  /** Messages of these partitions still in flight when the wait ran out (redelivered elsewhere). */
  readonly abandoned: number
}

export interface ConsumeOptions extends Signal {
  /** End the iteration once every partition has been read to its end (`--exit-when-idle`). */
  readonly untilIdle: boolean
  readonly events?: PartitionEvents
}

export interface SourceLag {
  readonly partition: number
  /** Messages after the committed offset: not yet done. */
  readonly messages: number
}

export interface TaskSource {
  readonly kind: string
  /**
   * Optional: checks the source can reach its backend (rejects with a retriable error when not)
   * and returns the consumer lag of its partitions where that is cheap to know (else undefined).
   */
  probe?(opts: Signal): Promise<{ readonly lag?: readonly SourceLag[] }>
  /**
   * Messages in partition order. Pulling is the backpressure: an implementation buffers a bounded
   * amount and waits (or pauses its partitions) while the consumer is not pulling. Aborting the
   * signal ends the iteration quietly (no error); so does reaching the end with `untilIdle`.
   */
  messages(opts: ConsumeOptions): AsyncIterable<SourceMessage>
  /**
   * True while the source wants every finished message committed at once rather than on the
   * worker's commit interval (the Kafka crash guard hands out one message at a time then).
   */
  readonly commitEagerly?: boolean
  /** Durable when it resolves. Positions only move forward; a lower offset is ignored. */
  commit(positions: readonly Position[], opts: Signal): Promise<void>
  close(): Promise<void>
}

/** The producing side, used by `vectorize submit` and `ingest`. */
export interface TaskPublisher {
  readonly kind: string
  /** Appends messages durably (fsync / acks=all) and resolves with how many were written. */
  publish(values: readonly Uint8Array[], opts: Signal): Promise<number>
  close(): Promise<void>
}
