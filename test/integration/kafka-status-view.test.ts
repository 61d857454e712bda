/**
 * The StatusView contract on Kafka: status records written by KafkaReporter to a 3-partition
 * status topic on the real broker, read back by KafkaStatusView's scan.
 */
import { silentLogger } from '../../src/observability/logger.ts'
import { allTopics } from '../../src/kafka/admin.ts'
import { KafkaReporter } from '../../src/reporters/kafka.ts'
import { KafkaStatusView } from '../../src/reporters/kafka-status.ts'
import { createTopics, kafkaSettings, skipKafka } from '../helpers/kafka.ts'
import { statusViewContract } from '../reporters/status-view-contract.ts'

const deps = { logger: silentLogger }

if (skipKafka) {
  process.stderr.write(`kafka-status-view: skipped: ${skipKafka}\n`)
} else {
  statusViewContract(
    'kafka',
    async (t) => {
      const settings = kafkaSettings()
      await createTopics(t, allTopics(settings), 3)
      const reporter = await KafkaReporter.create({ kafka: settings }, deps)
      t.after(() => reporter.close())
      const view = async () => {
        const opened = await KafkaStatusView.create({ kafka: settings }, deps)
        t.after(() => opened.close())
        return opened
      }
      return { reporter, view }
    },
    180_000,
  )
}
