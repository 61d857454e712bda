/**
 * The embedded queue through SIGKILL at every kind of step of its upkeep: a child process
 * (fixtures/churn.ts) publishes, consumes and commits, rolls and retains the task log, rolls the
 * dead-letter log and compacts status.log, and kills itself right before a file change chosen at
 * random (test/helpers/kill-at.ts): aimed at rolls and compactions most of the time. After each
 * kill the queue is reopened and checked: every acknowledged task is there exactly once, at its
 * offset, from the durable commit on; the in-flight batch is there whole or not at all; the commit
 * never went back; and `vectorize status` and the dead-letter log answer exactly as before.
 * VECTORIZE_TEST_SEED picks the kill points (printed as a diagnostic).
 */
import * as assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Prng } from '../../../src/models/synthetic/prng.ts'
import { silentLogger } from '../../../src/observability/logger.ts'
import type { StatusMessage } from '../../../src/protocol/report.ts'
import { LocalReporter } from '../../../src/reporters/local.ts'
import { LocalSource } from '../../../src/sources/local.ts'
import { taskLogStats } from '../../../src/sources/local-maintenance.ts'

const deps = { logger: silentLogger }
const opts = () => ({ signal: AbortSignal.timeout(30_000) })
/** Rounds of a child run; a run aimed at one crash point of round 0 or 1 dies early. */
const ROUNDS = 4
/** Kills at random points of any phase, on top of every point of a roll and of a compaction. */
const RANDOM_KILLS = 6
const PHASES = ['publish', 'consume', 'roll', 'compact'] as const

interface Run {
  readonly signal: NodeJS.Signals | null
  readonly code: number | null
  readonly lines: readonly string[]
  readonly stderr: string
}

function churn(dir: string, tag: string, spec?: string): Promise<Run> {
  const script = fileURLToPath(new URL('./fixtures/churn.ts', import.meta.url))
  const args = [script, dir, tag, String(ROUNDS), ...(spec ? [spec] : [])]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) =>
      resolve({ code, signal, lines: stdout.split('\n').filter(Boolean), stderr }),
    )
  })
}

/** What the queue holds as far as the test knows. */
interface Known {
  /** Task id at each offset. */
  readonly ids: readonly string[]
  readonly committed: number
}

const idOf = (value: Uint8Array) =>
  (JSON.parse(Buffer.from(value).toString()) as { task_id: string }).task_id
const batch = (tag: string, round: number) => [0, 1, 2, 3, 4].map((k) => `${tag}-${round}-${k}`)
const lastNumber = (lines: readonly string[], word: string): number | undefined => {
  const line = lines.findLast((l) => l.startsWith(`${word} `))
  return line === undefined ? undefined : Number(line.split(' ')[1])
}

/**
 * Checks the task log after a run: what the child delivered and what a fresh consumer reads from
 * the durable commit must name one task per offset, without gaps or duplicates; the run's tasks
 * are its acknowledged batches, plus the batch in flight whole or not at all.
 */
async function checkTasks(dir: string, known: Known, tag: string, run: Run): Promise<Known> {
  const ids = [...known.ids]
  const put = (offset: number, id: string, who: string) => {
    if (offset < ids.length) assert.equal(id, ids[offset], `${who}: offset ${offset}`)
    else assert.equal(offset, ids.length, `${who}: a gap before offset ${offset}`)
    if (offset === ids.length) ids.push(id)
  }
  for (const line of run.lines.filter((l) => l.startsWith('delivered '))) {
    const [, offset, id] = line.split(' ')
    put(Number(offset), id!, 'delivered by the child')
  }
  const stats = await taskLogStats(dir)
  const committed = stats.committed_offset
  const printed = lastNumber(run.lines, 'committed') ?? known.committed
  assert.ok(committed === printed || committed === printed + 1, `commit ${committed}, ${printed}`)
  assert.ok((stats.oldest_offset ?? committed) <= committed, 'uncommitted tasks deleted')
  const source = await LocalSource.create({ dir, pollIntervalMs: 10 }, deps)
  let next = committed
  try {
    for await (const m of source.messages({ signal: opts().signal, untilIdle: true })) {
      assert.equal(m.offset, next++, 'offsets from the commit on, one by one')
      put(m.offset, idOf(m.value), 'read after the kill')
    }
  } finally {
    await source.close()
  }
  assert.equal(next, ids.length, 'the log ends where the tasks end')
  assert.equal(new Set(ids).size, ids.length, 'no task twice')
  const acknowledged = lastNumber(run.lines, 'published') ?? -1
  const sure = Array.from({ length: acknowledged + 1 }, (_, r) => batch(tag, r)).flat()
  const published = ids.slice(known.ids.length)
  const whole = [...sure, ...batch(tag, acknowledged + 1)]
  assert.ok(
    sameList(published, sure) || sameList(published, whole),
    `published ${published.length} tasks, ${sure.length} acknowledged`,
  )
  return { ids, committed }
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i])

let clock = Date.parse('2025-03-01T00:00:00Z')
function status(id: string, state: StatusMessage['state'], extra: Partial<StatusMessage> = {}) {
  clock += 1000
  return { task_id: id, state, worker_id: 'w1', at: new Date(clock).toISOString(), ...extra }
}

/** Statuses with redeliveries, errors and results, and dead letters over several segments. */
async function writeReports(dir: string, from: number, count: number): Promise<void> {
  const reporter = await LocalReporter.create({ dir, segmentBytes: 3_000 }, deps)
  const error = { code: 'store_unavailable' as const, message: 'refused', retriable: true }
  try {
    for (let i = from; i < from + count; i++) {
      const id = `r-${i}`
      await reporter.status(status(id, 'queued'), opts())
      await reporter.status(status(id, 'started'), opts())
      if (i % 3 === 0) await reporter.status(status(id, 'failed', { error }), opts())
      if (i % 3 === 0) await reporter.status(status(id, 'started'), opts())
      if (i % 4 === 0) continue
      const result = { task_id: id, collection: 'c', model: 'm', dimensions: 2, ids: [`${id}-v`] }
      await reporter.result(
        {
          ...result,
          counts: { items: 1, vectors: 1, tokens: 3, truncated: 0 },
          truncated: [],
          timings_ms: { queue: 1, inference: 1, store: 1, total: 3 },
          worker_id: 'w1',
        },
        opts(),
      )
      await reporter.status(
        status(id, i % 5 ? 'succeeded' : 'failed', i % 5 ? {} : { error }),
        opts(),
      )
      if (i % 7 === 0) {
        const value = Buffer.from(`{"task_id":"${id}","broken":`)
        const dead = { code: 'invalid_json' as const, message: 'bad', class: 'data' as const }
        await reporter.deadLetter(
          {
            value,
            taskId: id,
            error: dead,
            origin: { topic: 'local', partition: 0, offset: i },
            attempts: 1,
            workerId: 'w1',
          },
          opts(),
        )
      }
    }
  } finally {
    await reporter.close()
  }
}

/** Every answer `vectorize status` and the dead-letter log give. */
async function reportAnswers(dir: string, tasks: number) {
  const reporter = await LocalReporter.create({ dir }, deps)
  try {
    const ids = [...Array.from({ length: tasks }, (_, i) => `r-${i}`), 'missing']
    const records = await Promise.all(ids.map((id) => reporter.task(id, opts())))
    const letters = []
    for await (const d of reporter.deadLetters(opts())) {
      letters.push({ ...d, value: Buffer.from(d.value).toString('hex') })
    }
    return { counts: await reporter.counts(opts()), records, letters }
  } finally {
    await reporter.close()
  }
}

describe('embedded queue under SIGKILL', () => {
  it(
    'rolls, retention and compaction killed at random points should lose and duplicate nothing',
    { timeout: 600_000 },
    async (t) => {
      const seed = process.env.VECTORIZE_TEST_SEED ?? 'queue-crash-1'
      t.diagnostic(`seed ${seed} (VECTORIZE_TEST_SEED)`)
      const prng = new Prng(seed)
      const dir = await mkdtemp(join(tmpdir(), 'vectorize-crash-'))
      t.after(() => rm(dir, { recursive: true, force: true }))
      await writeReports(dir, 0, 120)
      const answers = await reportAnswers(dir, 120)
      assert.ok(answers.letters.length > 10)

      const calibration = await churn(dir, 'calibration')
      assert.equal(calibration.code, 0, calibration.stderr)
      let known = await checkTasks(dir, { ids: [], committed: 0 }, 'calibration', calibration)
      const rounds = calibration.lines
        .filter((l) => l.startsWith('counts '))
        .map((l) => JSON.parse(l.slice('counts '.length)) as Record<string, number>)
      // Every change of a compaction and of a forced roll with retention (round 0), then random
      // ones anywhere.
      const specs = [
        ...Array.from({ length: rounds[0]!.compact! }, (_, k) => `compact:${k + 1}`),
        ...Array.from({ length: rounds[0]!.roll! }, (_, k) => `roll:${k + 1}`),
        ...Array.from({ length: RANDOM_KILLS }, (_, i) => {
          const phase = PHASES[i % PHASES.length]!
          return `${phase}:${1 + Math.floor(prng.uniform() * rounds.at(-1)![phase]!)}`
        }),
      ]
      const kills: string[] = []
      for (const [i, spec] of specs.entries()) {
        const tag = `k${i}`
        const run = await churn(dir, tag, spec)
        assert.ok(run.signal === 'SIGKILL' || run.code === 0, `${spec}: ${run.stderr}`)
        if (run.signal === 'SIGKILL') kills.push(spec)
        try {
          known = await checkTasks(dir, known, tag, run)
          assert.deepEqual(await reportAnswers(dir, 120), answers)
        } catch (err) {
          throw new Error(`after the kill at ${spec} (seed ${seed}): ${String(err)}`, {
            cause: err,
          })
        }
        assert.ok(!(await readdir(dir)).includes('status.log.compacting'), 'a leftover copy')
      }
      t.diagnostic(`killed at ${kills.join(', ')}`)
      assert.ok(kills.length >= specs.length - 2, `only ${kills.length} runs were killed`)
    },
  )
})
