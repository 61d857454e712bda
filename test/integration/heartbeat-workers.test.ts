/**
 * Acceptance 3 of issue 6: two `vectorize worker` processes report to the real Redis;
 * `vectorize workers --json` lists both with their fields; the one killed with SIGKILL disappears
 * when its TTL lapses; the one stopped with SIGTERM disappears at once (its TTL is a minute, so
 * only the deletion on a clean stop can explain it).
 */
import * as assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createWorkspace, DEFAULT_MODEL, describeRun, type Workspace } from '../helpers/cli.ts'
import { repoRoot } from '../helpers/models.ts'
import {
  heartbeatEnv,
  heartbeatSettings,
  listWorkers,
  skipRedis,
  type HeartbeatSettings,
} from '../helpers/redis.ts'
import { waitUntil } from '../helpers/wait.ts'
import { skipUnless } from '../helpers/skip.ts'

const TASKS = 20
const SHORT_TTL_MS = 3_000
const LONG_TTL_MS = 60_000

async function submitTasks(ws: Workspace, prefix: string): Promise<void> {
  const lines = Array.from({ length: TASKS }, (_, i) =>
    JSON.stringify({ task_id: `${prefix}-${i}`, type: 'text', text: `note ${i} from ${prefix}` }),
  )
  const file = join(ws.dir, 'tasks.jsonl')
  await writeFile(file, lines.join('\n') + '\n')
  const result = await ws.run(['submit', file])
  assert.equal(result.code, 0, describeRun(['submit'], result))
}

function startWorker(ws: Workspace, s: HeartbeatSettings, id: string, ttlMs: number) {
  const env = { ...heartbeatEnv(s, id), VECTORIZE_WORKER_REDIS_HEARTBEAT_TTL_MS: String(ttlMs) }
  return ws.start(['worker'], { env })
}

describe(
  'vectorize workers (Redis heartbeats)',
  { skip: skipUnless(skipRedis), timeout: 180_000 },
  () => {
    it('should list two live workers, drop a SIGKILLed one within its TTL and a SIGTERMed one at once', async (t) => {
      const s = heartbeatSettings(250, SHORT_TTL_MS)
      const cleanup = (fn: () => Promise<void>) => t.after(fn)
      const [wsA, wsB] = [await createWorkspace(cleanup), await createWorkspace(cleanup)]
      await Promise.all([submitTasks(wsA, 'a'), submitTasks(wsB, 'b')])
      const a = startWorker(wsA, s, 'hb-a', SHORT_TTL_MS)
      const b = startWorker(wsB, s, 'hb-b', LONG_TTL_MS)
      const alive = () => {
        for (const w of [a, b]) {
          if (w.child.exitCode !== null)
            throw new Error(`a worker exited early (${w.child.exitCode})`)
        }
      }

      let listed = await listWorkers(wsA, s)
      await waitUntil(
        () => `both workers listed with ${TASKS} tasks done: ${JSON.stringify(listed)}`,
        async () => {
          listed = await listWorkers(wsA, s)
          return listed.length === 2 && listed.every((w) => w.counters.succeeded === TASKS)
        },
        { timeoutMs: 90_000, intervalMs: 500, check: alive },
      )
      const version = (
        JSON.parse(await readFile(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }
      ).version
      assert.deepEqual(
        listed.map((w) => w.id),
        ['hb-a', 'hb-b'],
      )
      for (const [w, child, ttl] of [
        [listed[0]!, a.child, SHORT_TTL_MS],
        [listed[1]!, b.child, LONG_TTL_MS],
      ] as const) {
        assert.equal(w.pid, child.pid)
        assert.equal(w.host, hostname())
        assert.equal(w.version, version)
        assert.equal(w.state, 'running')
        assert.deepEqual(w.models, [`${DEFAULT_MODEL}@fp32`])
        assert.equal(w.active_tasks, 0)
        assert.equal(w.counters.failed, 0)
        assert.equal(w.ttl_ms, ttl)
        assert.ok(Date.parse(w.started_at) <= Date.parse(w.updated_at), 'started_at ≤ updated_at')
      }
      const table = await wsA.run(['workers'], { env: heartbeatEnv(s) })
      assert.equal(table.code, 0, describeRun(['workers'], table))
      assert.match(table.stdout, /^worker +state +host:pid .*\nhb-a +running .*\nhb-b +running /)

      const lastBeat = (await listWorkers(wsA, s)).find((w) => w.id === 'hb-a')!.updated_at
      const killedAt = performance.now()
      const beatAgeMs = Date.now() - Date.parse(lastBeat)
      a.child.kill('SIGKILL')
      await a.exited
      let goneAfterMs = NaN // when the `vectorize workers` that first missed it started
      await waitUntil(
        () => `hb-a to disappear within its TTL (${SHORT_TTL_MS} ms)`,
        async () => {
          const askedAt = performance.now()
          const gone = !(await listWorkers(wsB, s)).some((w) => w.id === 'hb-a')
          if (gone) goneAfterMs = askedAt - killedAt
          return gone
        },
        { timeoutMs: SHORT_TTL_MS + 2_000, intervalMs: 100 },
      )
      assert.deepEqual(
        (await listWorkers(wsB, s)).map((w) => w.id),
        ['hb-b'],
      )

      b.child.kill('SIGTERM')
      const stopped = await b.exited
      assert.equal(stopped.code, 0, describeRun(['worker'], stopped))
      assert.deepEqual(await listWorkers(wsB, s), [], 'hb-b is gone as soon as it has exited')
      t.diagnostic(
        `SIGKILLed worker gone after ${Math.round(goneAfterMs)} ms (TTL ${SHORT_TTL_MS} ms; ` +
          `its last beat seen ${beatAgeMs} ms before the kill); ` +
          `SIGTERMed worker gone at exit (TTL ${LONG_TTL_MS} ms)`,
      )
    })
  },
)
