/**
 * The dead-letter contract on Kafka: letters written by KafkaReporter to a 3-partition dead-letter
 * topic on the real broker, read back by partition and offset, marks on the compacted handled
 * topic, replays produced to the tasks topic with their key and the x-replays header.
 */
import type { DeadLetterLog } from '../../src/dead-letters/dead-letter.ts'
import { handledTopic, KafkaDeadLetterLog } from '../../src/dead-letters/kafka.ts'
import { silentLogger } from '../../src/observability/logger.ts'
import { KafkaReporter } from '../../src/reporters/kafka.ts'
import {
  createTopics,
  deleteRecords,
  dropTopicsAfter,
  kafkaSettings,
  readToEnd,
  skipKafka,
} from '../helpers/kafka.ts'
import { deadLetterContract } from '../dead-letters/contract.ts'

const deps = { logger: silentLogger }

if (skipKafka) {
  // node:test has no suite-level skip for a contract helper; say why once
  process.stderr.write(`dlq-kafka: skipped: ${skipKafka}\n`)
} else {
  deadLetterContract(
    'kafka',
    async (t) => {
      const settings = kafkaSettings()
      const { tasks, dlq } = settings.topics
      await createTopics(t, [tasks, dlq], 3)
      dropTopicsAfter(t, [handledTopic(settings)])
      const logs: DeadLetterLog[] = []
      t.after(async () => {
        for (const log of logs) await log.close()
      })
      return {
        write: async (letters) => {
          const reporter = await KafkaReporter.create({ kafka: settings }, deps)
          try {
            for (const l of letters)
              await reporter.deadLetter(l, { signal: AbortSignal.timeout(30_000) })
          } finally {
            await reporter.close()
          }
        },
        open: async () => {
          const log = await KafkaDeadLetterLog.open(settings, deps)
          logs.push(log)
          return log
        },
        republished: async (count) => {
          const records = await readToEnd(tasks)
          records.sort((a, b) => a.timestamp - b.timestamp)
          return records.slice(0, count).map((r) => ({
            value: r.value,
            ...(r.key !== undefined && { key: r.key }),
            headers: r.headers,
          }))
        },
        expire: () => deleteRecords(dlq),
        storedMarks: async () => {
          const latest = new Map<string, boolean>()
          for (const r of await readToEnd(handledTopic(settings))) {
            if (r.key !== undefined) latest.set(r.key, r.value.length > 0)
          }
          return [...latest].filter(([, mark]) => mark).map(([id]) => id)
        },
      }
    },
    240_000,
  )
}
