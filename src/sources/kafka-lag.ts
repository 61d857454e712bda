/**
 * Consumer lag of the partitions a KafkaSource owns: the partition's end (READ_COMMITTED, as the
 * consumer reads) minus the group's committed offset (the earliest offset without a commit, as
 * `auto.offset.reset=earliest` reads). One offsets request, plus one committed-offsets request
 * for partitions this source has not committed yet.
 */
import type { VendorAdmin, VendorConsumer, VendorKafkaJS } from '../kafka/vendor.ts'
import type { SourceLag } from './source.ts'

export interface LagTarget {
  readonly topic: string
  readonly owned: readonly number[]
  /** Offsets this source committed, per partition. */
  readonly committed: ReadonlyMap<number, number>
}

export async function consumerLag(
  target: LagTarget,
  admin: VendorAdmin,
  consumer: VendorConsumer,
  module: VendorKafkaJS,
): Promise<SourceLag[]> {
  const { topic, owned, committed } = target
  const isolationLevel = module.IsolationLevel.READ_COMMITTED
  const unknown = owned.filter((p) => !committed.has(p))
  const [marks, group] = await Promise.all([
    admin.fetchTopicOffsets(topic, { timeout: 5_000, isolationLevel }),
    unknown.length === 0
      ? []
      : consumer.committed(
          unknown.map((partition) => ({ topic, partition })),
          5_000,
        ),
  ])
  return owned.flatMap((partition) => {
    const mark = marks.find((m) => m.partition === partition)
    if (!mark) return []
    const fromGroup = group.find((c) => c.partition === partition)?.offset
    const low = Number(mark.low)
    const done = committed.get(partition) ?? (fromGroup == null ? low : Number(fromGroup))
    return [{ partition, messages: Math.max(0, Number(mark.high) - Math.max(done, low)) }]
  })
}
