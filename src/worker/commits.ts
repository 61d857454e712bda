/**
 * Tracks which delivered offsets are done and computes, per partition, the offset that may be
 * committed: one past the longest run of done offsets from the oldest delivered (Kafka commits the
 * next offset to read; jepsen.io bufstream analysis, platformatic/kafka#196). Tasks finish out of
 * order; the watermark only covers what is contiguous, so a crash never skips unfinished work.
 */
import type { Position } from '../sources/source.ts'

interface Partition {
  /** Delivered offsets, oldest first, with whether each is done. */
  readonly inflight: { readonly offset: number; done: boolean }[]
  /** The next offset to commit once everything before it is done. */
  watermark: number
  committed: number
}

export class CommitTracker {
  readonly #partitions = new Map<number, Partition>()

  delivered(partition: number, offset: number): void {
    let p = this.#partitions.get(partition)
    if (!p) {
      // The first delivered offset is where reading starts anyway: nothing to commit until progress.
      p = { inflight: [], watermark: offset, committed: offset }
      this.#partitions.set(partition, p)
    }
    p.inflight.push({ offset, done: false })
  }

  done(partition: number, offset: number): void {
    const p = this.#partitions.get(partition)
    const entry = p?.inflight.find((e) => e.offset === offset)
    if (!p || !entry) return
    entry.done = true
    while (p.inflight[0]?.done) p.watermark = p.inflight.shift()!.offset + 1
  }

  /** Positions that moved since the last `committed()` call. */
  pending(): Position[] {
    const out: Position[] = []
    for (const [partition, p] of this.#partitions) {
      if (p.watermark > p.committed) out.push({ partition, offset: p.watermark })
    }
    return out
  }

  committed(positions: readonly Position[]): void {
    for (const { partition, offset } of positions) {
      const p = this.#partitions.get(partition)
      if (p && offset > p.committed) p.committed = offset
    }
  }

  /** Forgets a partition (revoked in a rebalance): its late completions must not be committed. */
  revoke(partition: number): void {
    this.#partitions.delete(partition)
  }

  /** Messages of these partitions delivered and not yet done. */
  inflightIn(partitions: readonly number[]): number {
    let n = 0
    for (const partition of partitions) {
      n += this.#partitions.get(partition)?.inflight.filter((e) => !e.done).length ?? 0
    }
    return n
  }

  inflight(): number {
    let n = 0
    for (const p of this.#partitions.values()) n += p.inflight.filter((e) => !e.done).length
    return n
  }
}
