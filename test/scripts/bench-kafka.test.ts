/**
 * bench:kafka's own parts that need no broker: the backlog it submits is valid protocol, the
 * shared servers' processes are found by the port they listen on, and the figures come from the
 * windows its header documents (drain to committed lag 0, CPU over the processing window).
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parseTask } from '../../src/protocol/parse.ts'
import { configSchema } from '../../src/config/schema.ts'
import type { Progress } from '../../scripts/bench/kafka-follow.ts'
import type { Sample } from '../../scripts/bench/kafka-sampler.ts'
import { summarize } from '../../scripts/bench/kafka-summary.ts'
import { backlog } from '../../scripts/bench/kafka-tasks.ts'
import { cpuSeconds, listenerPid } from '../../scripts/bench/processes.ts'
import { repoRoot } from '../helpers/models.ts'

const corpus = join(repoRoot(), 'samples', 'corpus.jsonl')
const linux = process.platform === 'linux'

describe('bench:kafka', () => {
  it('should submit valid text and batch tasks, one stored vector per text', async () => {
    const limits = configSchema.parse({}).processing
    for (const [kind, items] of [
      ['text', 1],
      ['batch', 5],
    ] as const) {
      const made = await backlog(corpus, 'bench_x', kind, 7, items)
      const tasks = made.jsonl
        .trim()
        .split('\n')
        .map((line) => parseTask(new TextEncoder().encode(line), limits))
      assert.equal(tasks.length, 7)
      assert.equal(made.texts, 7 * items)
      const ids = tasks.flatMap((t) =>
        t.type === 'batch' ? t.items.map((i) => i.id) : t.type === 'text' ? [t.id] : [],
      )
      assert.equal(new Set(ids).size, 7 * items, `${kind}: every text has its own id`)
      assert.ok(tasks.every((t) => t.type === kind && t.collection === 'bench_x'))
    }
  })

  it('should find the process listening on a port', { skip: !linux && 'needs /proc' }, async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as { port: number }
      assert.equal(listenerPid(port), process.pid)
      assert.ok((cpuSeconds(process.pid) ?? 0) > 0)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
    assert.equal(listenerPid(1, '4242'), 4242, 'a pid given in the environment wins')
  })

  it('should drain to committed lag 0 and count worker CPU over the processing window', () => {
    const t0 = 1_000_000
    const sample = (at: number, lag: number, cpu: number): Sample => ({
      at: t0 + at,
      lag,
      load1: 2,
      workerCpuS: [cpu],
      brokerCpuS: 10 + at / 1000,
      storeCpuS: undefined,
      workerRssBytes: [2 ** 20],
    })
    const progress: Progress = {
      firstStarted: t0 + 1_100,
      lastSucceeded: t0 + 5_900,
      done: new Map([['a', 'w']]),
      perWorker: { w: 100 },
      timings: Array.from({ length: 100 }, (_, i) => ({ total: i + 1, inference: 1, store: 1 })),
      statusMs: [],
      failed: new Map(),
    }
    const run = summarize({
      ...{ workers: 1, concurrency: 8, kind: 'text', tasks: 100, texts: 100 },
      ...{
        submitS: 0.5,
        startupS: 3,
        loadBefore: 1,
        progress,
        peakRss: [5 * 2 ** 20],
        stored: 100,
      },
      samples: [
        sample(0, 0, 4), // model loaded, idle
        sample(1_000, 100, 4), // the backlog is in; the last sample before the first `started`
        sample(3_000, 60, 6),
        sample(6_000, 5, 9), // every task succeeded, the last offsets not yet committed
        sample(6_500, 0, 9),
      ],
    })
    assert.equal(run.backlog, 100)
    assert.equal(run.processingS, 4.8)
    assert.equal(run.tasksPerS, 20.8)
    assert.equal(run.drainS, 5.4) // first started → the sample at lag 0
    assert.equal(run.cpuWindowS, 5) // 1.0 s → 6.0 s
    assert.deepEqual(run.workerCpuS, [5])
    assert.equal(run.tasksPerWorkerCpuS, 20)
    assert.equal(run.brokerCpuS, 5)
    assert.equal(run.storeCpuS, undefined)
    assert.deepEqual([run.latencyMs.p50, run.latencyMs.p95], [50, 95])
    assert.deepEqual(run.peakRssMiB, [5])
  })
})
