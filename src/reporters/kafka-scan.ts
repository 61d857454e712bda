/**
 * Reads a topic from its start to the ends it has when the scan starts, like any plain consumer:
 * a consumer group of its own (a fresh name, nothing committed), every partition. The scan stops
 * at those ends or when `signal` aborts, whichever comes first, and says which: a status topic can
 * be long, and `vectorize status` must answer within its `--timeout`.
 */
import { randomUUID } from 'node:crypto'
import { withAdmin } from '../kafka/admin.ts'
import type { KafkaClient } from '../kafka/client.ts'
import type { VendorMessage } from '../kafka/vendor.ts'
import type { ScanSummary } from './reporter.ts'

/** Where a record is in its topic, and its timestamp (ms since the epoch). */
export interface RecordPlace {
  readonly partition: number
  readonly offset: number
  readonly timestamp: number
}

export type OnRecord = (key: string | undefined, value: Buffer, place: RecordPlace) => void

/** Metadata refresh of the scanning consumer (see sources/kafka.ts, `metadataRefreshMs`). */
const metadataMaxAgeMs = 5_000

export async function scanTopic(
  client: KafkaClient,
  topic: string,
  onRecord: OnRecord,
  signal: AbortSignal,
): Promise<ScanSummary> {
  const started = performance.now()
  const ends = await partitionEnds(client, topic)
  const next = new Map<number, number>()
  const behind = () => [...ends].filter(([p, e]) => (next.get(p) ?? e.low) < e.high)
  const total = [...ends.values()].reduce((n, e) => n + e.high - e.low, 0)
  let records = 0
  const summary = (complete: boolean): ScanSummary => ({
    topic,
    partitions: ends.size,
    records,
    total,
    complete,
    ms: Math.round(performance.now() - started),
  })
  if (behind().length === 0) return summary(true)
  const consumer = client.kafka.consumer({
    kafkaJS: {
      groupId: `vectorize-status-${randomUUID()}`,
      fromBeginning: true,
      autoCommit: false,
      metadataMaxAge: metadataMaxAgeMs,
    },
  })
  await consumer.connect()
  try {
    let done = (): void => undefined
    const caughtUp = new Promise<void>((resolve) => (done = resolve))
    await consumer.subscribe({ topics: [topic] })
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        const offset = Number(message.offset)
        const end = ends.get(partition)
        if (end && offset < end.high) {
          records++
          const timestamp = Number(message.timestamp)
          onRecord(keyOf(message), message.value ?? Buffer.alloc(0), {
            partition,
            offset,
            timestamp,
          })
        }
        next.set(partition, Math.max(next.get(partition) ?? 0, offset + 1))
        if (behind().length === 0) done()
        return Promise.resolve()
      },
    })
    const stopped = new Promise<void>((resolve) => {
      if (signal.aborted) resolve()
      signal.addEventListener('abort', () => resolve(), { once: true })
    })
    await Promise.race([caughtUp, stopped])
    return summary(behind().length === 0)
  } finally {
    await consumer.disconnect().catch(() => undefined)
  }
}

async function partitionEnds(client: KafkaClient, topic: string) {
  const isolationLevel = client.module.IsolationLevel.READ_COMMITTED
  const marks = await withAdmin(client.kafka, 'reporter_unavailable', (admin) =>
    admin.fetchTopicOffsets(topic, { timeout: 10_000, isolationLevel }),
  )
  return new Map(marks.map((m) => [m.partition, { low: Number(m.low), high: Number(m.high) }]))
}

function keyOf(message: VendorMessage): string | undefined {
  return message.key?.toString('utf8')
}
