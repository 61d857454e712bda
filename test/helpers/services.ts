/** Drives `scripts/services.sh` from tests that must stop and start a service themselves. */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { repoRoot } from './models.ts'

const run = promisify(execFile)
const script = join(repoRoot(), 'scripts', 'services.sh')

type Command = 'up' | 'down' | 'status'

/** `scripts/services.sh COMMAND SERVICE`; resolves with its output (its log), rejects on failure. */
export async function service(
  name: 'kafka' | 'redis',
  command: Command,
  timeoutMs = 120_000,
): Promise<string> {
  const { stdout, stderr } = await run(script, [command, name], { timeout: timeoutMs })
  return `${stdout}${stderr}`.trim()
}

export const kafkaService = (command: Command, timeoutMs?: number) =>
  service('kafka', command, timeoutMs)

export const redisService = (command: Command, timeoutMs?: number) =>
  service('redis', command, timeoutMs)

/** True when redis-server runs and was started by scripts/services.sh (so it can restart it). */
export function redisManaged(): Promise<boolean> {
  return redisService('status', 10_000).then(
    () => true,
    () => false,
  )
}

/** True when the broker runs and was started by scripts/services.sh (so it can restart it). */
export function kafkaManaged(): Promise<boolean> {
  return kafkaService('status', 10_000).then(
    () => true,
    () => false,
  )
}

/** `scripts/services.sh COMMAND weaviate`; resolves with its log, rejects on failure. */
export async function weaviateService(
  command: 'up' | 'down' | 'status',
  timeoutMs = 180_000,
): Promise<string> {
  const { stdout, stderr } = await run(script, [command, 'weaviate'], { timeout: timeoutMs })
  return `${stdout}${stderr}`.trim()
}

/** True when Weaviate runs and was started by scripts/services.sh (so it can restart it). */
export function weaviateManaged(): Promise<boolean> {
  return weaviateService('status', 10_000).then(
    () => true,
    () => false,
  )
}
