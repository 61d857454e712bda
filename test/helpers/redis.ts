/**
 * Heartbeat tests against the real Redis of `scripts/services.sh up redis`: every test gets its own
 * key prefix, so runs and tests never see each other's workers.
 */
import { randomUUID } from 'node:crypto'
import type { WorkerRecord } from '../../src/observability/heartbeat.ts'
import { describeRun, type Workspace } from './cli.ts'

export const redisUrl = process.env.VECTORIZE_TEST_REDIS_URL ?? ''

/** `false` when a Redis is configured, else the reason to give `{ skip }`. */
export const skipRedis: string | false =
  redisUrl !== ''
    ? false
    : 'VECTORIZE_TEST_REDIS_URL is unset (scripts/services.sh up redis && eval "$(scripts/services.sh env)")'

export interface HeartbeatSettings {
  readonly prefix: string
  readonly intervalMs: number
  readonly ttlMs: number
}

export function heartbeatSettings(intervalMs: number, ttlMs: number): HeartbeatSettings {
  return { prefix: `vectorize-test:${randomUUID()}:`, intervalMs, ttlMs }
}

/** The environment that points a CLI child at the test Redis with these settings. */
export function heartbeatEnv(s: HeartbeatSettings, workerId?: string): Record<string, string> {
  return {
    VECTORIZE_WORKER_REDIS_URL: redisUrl,
    VECTORIZE_WORKER_REDIS_KEY_PREFIX: s.prefix,
    VECTORIZE_WORKER_REDIS_HEARTBEAT_INTERVAL_MS: String(s.intervalMs),
    VECTORIZE_WORKER_REDIS_HEARTBEAT_TTL_MS: String(s.ttlMs),
    ...(workerId ? { VECTORIZE_WORKER_WORKER_ID: workerId } : {}),
  }
}

/** `vectorize --json workers`, which must succeed. */
export async function listWorkers(ws: Workspace, s: HeartbeatSettings): Promise<WorkerRecord[]> {
  const result = await ws.run(['--json', 'workers'], { env: heartbeatEnv(s) })
  if (result.code !== 0) throw new Error(describeRun(['--json', 'workers'], result))
  return JSON.parse(result.stdout) as WorkerRecord[]
}
