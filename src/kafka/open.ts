/** Start-up shared by the source, the publisher and the reporter: load, configure, make topics. */
import { ensureTopics } from './admin.ts'
import type { KafkaClient, KafkaDeps, KafkaSettings } from './client.ts'
import { createClient } from './client.ts'
import type { UnavailableCode } from './errors.ts'

export async function openClient(
  settings: KafkaSettings,
  deps: KafkaDeps,
  code: UnavailableCode,
): Promise<KafkaClient> {
  const client = await createClient(settings, deps.logger, deps.load)
  if (settings.create_topics) await ensureTopics(client.kafka, settings, deps.logger, code)
  return client
}
