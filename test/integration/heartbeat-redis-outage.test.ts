/**
 * Acceptance 2 of issue 6: Redis is stopped for 30 s in the middle of a `vectorize worker` run on
 * the embedded queue. Processing goes on (tasks/s during vs before the outage is printed as a
 * figure, not asserted), `vectorize workers` says Redis is unavailable (exit 69) meanwhile, the
 * heartbeat comes back after Redis does and `vectorize workers` lists the worker again with its
 * counters, one warning is logged for the outage, and every task succeeds exactly once.
 */
import * as assert from 'node:assert/strict'
import { open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createWorkspace, describeRun, type Workspace } from '../helpers/cli.ts'
import { storedIds } from '../helpers/kafka-cli.ts'
import { foldStatusLog } from '../helpers/queue-files.ts'
import {
  heartbeatEnv,
  heartbeatSettings,
  listWorkers,
  skipRedis,
  type HeartbeatSettings,
} from '../helpers/redis.ts'
import { redisManaged, redisService } from '../helpers/services.ts'
import { waitUntil } from '../helpers/wait.ts'
import { skipUnless } from '../helpers/skip.ts'

const OUTAGE_MS = 30_000
const WINDOW_MS = 10_000
const CHUNK = 1_000
/** The feeder keeps at least this many tasks queued, so the worker never idles. */
const BACKLOG = 1_500
const COLLECTION = 'outage'

/** Counts `succeeded` records of status.log as it grows (reads only what is new). */
class SucceededCounter {
  readonly #path: string
  #offset = 0
  #partial = ''
  count = 0

  constructor(queueDir: string) {
    this.#path = join(queueDir, 'status.log')
  }

  #polling: Promise<number> = Promise.resolve(0)

  /** Serialised: the feeder and the test both poll. */
  poll(): Promise<number> {
    this.#polling = this.#polling.then(() => this.#read())
    return this.#polling
  }

  async #read(): Promise<number> {
    const file = await open(this.#path, 'r').catch(() => undefined)
    if (!file) return this.count
    try {
      const { size } = await file.stat()
      if (size <= this.#offset) return this.count
      const buffer = Buffer.alloc(size - this.#offset)
      await file.read(buffer, 0, buffer.length, this.#offset)
      this.#offset = size
      const lines = (this.#partial + buffer.toString('utf8')).split('\n')
      this.#partial = lines.pop() ?? ''
      this.count += lines.filter((l) => l.includes('"state":"succeeded"')).length
      return this.count
    } finally {
      await file.close()
    }
  }
}

/** Submits chunks of tasks whenever fewer than BACKLOG are waiting, until stopped. */
class Feeder {
  submitted = 0
  #stopped = false
  readonly done: Promise<void>

  constructor(ws: Workspace, counter: SucceededCounter) {
    this.done = this.#run(ws, counter)
  }

  stop(): Promise<void> {
    this.#stopped = true
    return this.done
  }

  async #run(ws: Workspace, counter: SucceededCounter): Promise<void> {
    while (!this.#stopped) {
      if (this.submitted - (await counter.poll()) < BACKLOG) await this.#submit(ws)
      else await sleep(200)
    }
  }

  async #submit(ws: Workspace): Promise<void> {
    const lines = Array.from({ length: CHUNK }, (_, i) => {
      const n = this.submitted + i
      const text = `outage test note ${n}: tides, coffee and plumbing`
      return JSON.stringify({ task_id: `o-${n}`, type: 'text', collection: COLLECTION, text })
    })
    const file = join(ws.dir, `chunk-${this.submitted}.jsonl`)
    await writeFile(file, lines.join('\n') + '\n')
    const result = await ws.run(['submit', file])
    assert.equal(result.code, 0, describeRun(['submit', file], result))
    this.submitted += CHUNK
  }
}

async function rate(counter: SucceededCounter, ms: number): Promise<number> {
  const [n0, t0] = [await counter.poll(), performance.now()]
  await sleep(ms)
  return ((await counter.poll()) - n0) / ((performance.now() - t0) / 1000)
}

interface Listed {
  readonly counters: { succeeded: number }
  readonly updated_at: string
  /** When the `vectorize workers` that first listed it started. */
  readonly askedAt: number
}

async function waitListed(ws: Workspace, s: HeartbeatSettings, check: () => void, after = 0) {
  let seen = ''
  let askedAt = 0
  await waitUntil(
    () => `the worker in vectorize workers with a beat after ${after} (${seen})`,
    async () => {
      askedAt = Date.now()
      const [w] = await listWorkers(ws, s).catch(() => [])
      seen = JSON.stringify(w ?? null)
      return w?.state === 'running' && Date.parse(w.updated_at) > after
    },
    { timeoutMs: 60_000, intervalMs: 250, check },
  )
  return { ...(JSON.parse(seen) as Omit<Listed, 'askedAt'>), askedAt }
}

describe(
  'vectorize worker during a Redis outage',
  { skip: skipUnless(skipRedis), timeout: 300_000 },
  () => {
    it('should keep processing, resume heartbeats when Redis returns, and lose nothing', async (t) => {
      const unmanaged = skipUnless(
        !(await redisManaged()) &&
          'this Redis was not started by scripts/services.sh, which must stop and restart it',
      )
      if (unmanaged) return t.skip(unmanaged)
      t.after(() => redisService('up').then(() => undefined)) // whatever happens, leave Redis up
      const ws = await createWorkspace((fn) => t.after(fn))
      const s = heartbeatSettings(250, 1_500)
      const counter = new SucceededCounter(ws.queueDir)
      const feeder = new Feeder(ws, counter)
      t.after(() => feeder.stop())
      const worker = ws.start(['worker'], { env: heartbeatEnv(s, 'outage-1') })
      const alive = () => {
        if (worker.child.exitCode !== null)
          throw new Error(`worker exited (${worker.child.exitCode})`)
      }
      await waitListed(ws, s, alive)
      const before = await rate(counter, WINDOW_MS)

      const downAt = Date.now()
      await redisService('down')
      const atDown = await counter.poll()
      const unavailable = await ws.run(['workers'], { env: heartbeatEnv(s) })
      assert.equal(unavailable.code, 69, describeRun(['workers'], unavailable))
      assert.match(
        unavailable.stderr,
        /redis_unavailable: Redis at redis:\/\/127\.0\.0\.1:\d+ did not answer/,
      )
      const during = await rate(counter, OUTAGE_MS - (Date.now() - downAt))
      const duringOutage = (await counter.poll()) - atDown
      assert.ok(duringOutage > 0, 'tasks succeeded while Redis was down')
      await redisService('up')
      const upAt = Date.now()

      const back = await waitListed(ws, s, alive, upAt)
      assert.ok(
        back.counters.succeeded >= atDown + duringOutage,
        `counters went on: ${JSON.stringify(back)}`,
      )
      const after = await rate(counter, WINDOW_MS / 2)
      await feeder.stop()
      const total = feeder.submitted
      await waitUntil(
        () => `all ${total} tasks to succeed (${counter.count} did)`,
        async () => (await counter.poll()) >= total,
        { timeoutMs: 120_000, intervalMs: 250, check: alive },
      )
      worker.child.kill('SIGTERM')
      const stopped = await worker.exited
      assert.equal(stopped.code, 0, describeRun(['worker'], stopped))

      const folded = await foldStatusLog(ws.queueDir)
      const ids = Array.from({ length: total }, (_, i) => `o-${i}`)
      const notOnce = ids.filter((id) => {
        const task = folded.tasks.get(id)
        return task?.state !== 'succeeded' || task.started !== 1
      })
      assert.deepEqual(
        notOnce.slice(0, 5),
        [],
        `${notOnce.length} tasks not started and succeeded once`,
      )
      const stored = await storedIds(ws.lancedbPath, COLLECTION)
      assert.equal(stored.count, total, 'one vector per task')
      assert.equal(new Set(stored.ids).size, total, 'distinct vector ids')
      // the lines of this outage (a beat can also time out when a loaded machine stalls the worker)
      const logs = stopped.stderr.split('\n').filter((l) => {
        const time = /"time":"([^"]+)"/.exec(l)?.[1]
        return time !== undefined && Date.parse(time) >= downAt && Date.parse(time) <= upAt + 30_000
      })
      const warned = logs.filter((l) => l.includes('Redis unavailable: heartbeats paused'))
      const resumed = logs.filter((l) => l.includes('heartbeats resumed'))
      assert.equal(warned.length, 1, `one warning for the outage:\n${warned.join('\n')}`)
      assert.equal(resumed.length, 1, `one line when heartbeats resumed:\n${resumed.join('\n')}`)
      t.diagnostic(
        `tasks/s before the outage ${before.toFixed(0)}, during ${during.toFixed(0)} ` +
          `(${((during / before) * 100).toFixed(0)} %), after ${after.toFixed(0)}; ` +
          `${duringOutage} tasks done while Redis was down ${OUTAGE_MS / 1000} s; ` +
          `listed again by a \`vectorize workers\` started ${back.askedAt - upAt} ms after Redis was up; ${total} tasks, all once`,
      )
    })
  },
)
