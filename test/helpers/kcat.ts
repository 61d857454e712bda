/**
 * `kcat` (Debian's kafkacat), a Kafka client that is not vectorize's own: what an operator or
 * another team's producer would use. Tests that need it skip, saying so, where it is missing.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export const kcatPath = process.env.VECTORIZE_TEST_KCAT ?? '/usr/bin/kcat'

/** `false` when kcat is there, else the reason to give `{ skip }`. */
export const skipKcat: string | false = existsSync(kcatPath)
  ? false
  : `kcat is not installed at ${kcatPath} (apt-get install kcat, or set VECTORIZE_TEST_KCAT)`

export interface KcatRecord {
  readonly value: Buffer
  readonly key?: string
  /** The producer's `message.max.bytes` (librdkafka's default is 1,000,000). */
  readonly maxMessageBytes?: number
}

/** Produces one record with kcat (the whole file is one message) and waits for its ack. */
export async function kcatProduce(broker: string, topic: string, record: KcatRecord) {
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-kcat-'))
  try {
    const file = join(dir, 'record')
    await writeFile(file, record.value)
    const args = ['-P', '-b', broker, '-t', topic, '-X', 'acks=all']
    if (record.key !== undefined) args.push('-k', record.key)
    if (record.maxMessageBytes !== undefined)
      args.push('-X', `message.max.bytes=${record.maxMessageBytes}`)
    await run(kcatPath, [...args, file], { timeout: 60_000 })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
