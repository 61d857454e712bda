/**
 * `untilIdle` for Kafka. The consumer is idle when the group has settled and, for every partition
 * it owns, the next offset it would deliver has reached the partition's end (lag 0).
 *
 * - Settled: the group is Stable and every partition of the topic is assigned to some member. A
 *   cooperative rebalance runs in two rounds, and between them the group reads Stable while the
 *   moving partitions belong to nobody (seen on Kafka 4.4: the joiner gets [] first) — a consumer
 *   that owns nothing then is not done.
 * - Position: the KafkaJS API has no `position()`, so it is one past the last message delivered,
 *   or, for a partition nothing was delivered from yet, where the group's commit (without one,
 *   `auto.offset.reset=earliest`) puts it. Ends are read with READ_COMMITTED, as the consumer
 *   reads. Limitation: a partition that ends in a transaction marker never looks idle (vectorize's
 *   producers are not transactional).
 */
import type { VendorAdmin, VendorConsumer, VendorKafkaJS } from '../kafka/vendor.ts'

export interface Watermark {
  readonly partition: number
  readonly low: number
  readonly high: number
}

export interface Committed {
  readonly partition: number
  /** null when the group never committed this partition. */
  readonly offset: number | null
}

/** Where consumption of a partition starts when nothing was delivered from it yet. */
export function startOffset(committed: number | null, mark: Watermark): number {
  if (committed === null || committed < mark.low || committed > mark.high) return mark.low
  return committed
}

/**
 * True when every owned partition is read to its end. `next` holds one past the last delivered
 * offset of the partitions that delivered something; `committed` covers the others.
 */
export function caughtUp(
  owned: readonly number[],
  next: ReadonlyMap<number, number>,
  marks: readonly Watermark[],
  committed: readonly Committed[],
): boolean {
  for (const partition of owned) {
    const mark = marks.find((m) => m.partition === partition)
    if (!mark) return false
    let position = next.get(partition)
    if (position === undefined) {
      const commit = committed.find((c) => c.partition === partition)
      if (!commit) return false
      position = startOffset(commit.offset, mark)
    }
    if (position < mark.high) return false
  }
  return true
}

/**
 * Idle must hold over `stableMs` with nothing delivered or rebalanced meanwhile (`epoch`): the
 * client hands an assignment over on its next poll, a moment after the broker made it.
 */
export class IdleGate {
  readonly #stableMs: number
  #seenAt: number | undefined
  #seenEpoch = -1

  constructor(stableMs: number) {
    this.#stableMs = stableMs
  }

  observe(idle: boolean, epoch: number, now: number = performance.now()): boolean {
    if (!idle) {
      this.#seenAt = undefined
      return false
    }
    if (this.#seenAt === undefined || this.#seenEpoch !== epoch) {
      this.#seenAt = now
      this.#seenEpoch = epoch
      return false
    }
    return now - this.#seenAt >= this.#stableMs
  }
}

export interface ProbeTarget {
  readonly topic: string
  readonly group: string
  /** Owned partitions, each with one past its last delivered offset when known. */
  readonly owned: ReadonlyMap<number, number | undefined>
}

const timeout = 10_000

/** Reads the group state, the partitions' ends and commits, and decides. */
export async function probeIdle(
  target: ProbeTarget,
  admin: VendorAdmin,
  consumer: VendorConsumer,
  module: VendorKafkaJS,
): Promise<boolean> {
  const { topic, group } = target
  const isolationLevel = module.IsolationLevel.READ_COMMITTED
  const unknown = [...target.owned].flatMap(([p, n]) => (n === undefined ? [p] : []))
  const [description, marks, committed] = await Promise.all([
    admin.describeGroups([group], { timeout }),
    admin.fetchTopicOffsets(topic, { timeout, isolationLevel }),
    unknown.length === 0
      ? []
      : consumer.committed(
          unknown.map((partition) => ({ topic, partition })),
          timeout,
        ),
  ])
  const state = description.groups[0]
  if (state?.state !== module.ConsumerGroupStates.STABLE) return false
  const assigned = new Set(
    state.members
      .flatMap((m) => (m.assignment?.topicPartitions ?? []).filter((tp) => tp.topic === topic))
      .map((tp) => tp.partition),
  )
  if (marks.some((m) => !assigned.has(m.partition))) return false
  const next = new Map<number, number>()
  for (const [p, n] of target.owned) if (n !== undefined) next.set(p, n)
  return caughtUp(
    [...target.owned.keys()],
    next,
    marks.map((m) => ({ partition: m.partition, low: Number(m.low), high: Number(m.high) })),
    committed.map((c) => ({
      partition: c.partition,
      offset: c.offset === null ? null : Number(c.offset),
    })),
  )
}
