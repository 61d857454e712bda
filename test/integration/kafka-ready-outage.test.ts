/**
 * Issue 10, defect 3: `/ready` while the broker is down. A `vectorize worker` on Kafka is probed
 * as Kubernetes would (every 500 ms, 5 s timeout) while the broker is stopped for 30 s, with
 * Prometheus scraping `/metrics` every 2 s. Before the fix each probe started native offset
 * requests that held libuv's thread pool for seconds after their JS-side timeout; the pool filled,
 * the store check behind it never returned, and `/ready` stopped answering at all. Now probes run
 * in the background, one per kind, and the endpoints answer from the latest result: `/ready` turns
 * 503 during the outage (its JSON says how old the source's result is) and 200 after it.
 *
 * This stops the broker: it runs only against one started by this checkout's
 * `scripts/services.sh` (a private one: KAFKA_PORT=... scripts/services.sh up kafka), never the
 * shared one, and brings it back even when the test fails.
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { describeRun } from '../helpers/cli.ts'
import { skipKafka } from '../helpers/kafka.ts'
import { kafkaCluster, textTasks, type CliWorker } from '../helpers/kafka-cli.ts'
import { kafkaManaged, kafkaService } from '../helpers/services.ts'
import { waitUntil } from '../helpers/wait.ts'
import { skipUnless } from '../helpers/skip.ts'

const PROBES = 60
const PROBE_EVERY_MS = 500
const SCRAPE_EVERY_MS = 2_000
/** What a Kubernetes probe would wait before counting the probe failed. */
const PROBE_TIMEOUT_MS = 5_000

const managed = skipKafka ? false : await kafkaManaged()
const skip = skipUnless(
  skipKafka || (!managed && 'the broker was not started by scripts/services.sh, which stops it'),
)

interface Probe {
  readonly status: number | 'no answer'
  readonly ms: number
  readonly body?: ReadyBody
}

interface ReadyBody {
  readonly status: string
  readonly checks: Record<string, { ok: boolean; age_ms?: number; error?: string }>
}

async function probe(url: string): Promise<Probe> {
  const started = performance.now()
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
    const text = await res.text()
    const body = url.endsWith('/ready') ? (JSON.parse(text) as ReadyBody) : undefined
    return { status: res.status, ms: performance.now() - started, ...(body && { body }) }
  } catch {
    return { status: 'no answer', ms: performance.now() - started }
  }
}

async function listening(worker: CliWorker): Promise<string> {
  let url: string | undefined
  await waitUntil(
    () => 'the worker to log its HTTP address',
    () => {
      const line = worker
        .output()
        .stderr.split('\n')
        .find((l) => l.includes('"http listening'))
      url = line ? (JSON.parse(line) as { url: string }).url : undefined
      return url !== undefined
    },
    { timeoutMs: 60_000, check: () => assert.equal(worker.result, undefined, 'worker exited') },
  )
  return url!
}

const p99 = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.ceil(ms.length * 0.99) - 1] ?? 0

describe(
  'vectorize worker on Kafka (/ready during a broker outage)',
  { skip, timeout: 300_000 },
  () => {
    it('should answer /ready and /metrics at once while the broker is down: 503 during, 200 after', async (t) => {
      t.after(() => kafkaService('up').then(() => undefined)) // first, so it runs before the rest
      const cluster = await kafkaCluster(t, { partitions: 3 })
      const worker = cluster.worker('w-ready', { VECTORIZE_WORKER_HTTP_PORT: '0' })
      const url = await listening(worker)
      await cluster.submit(textTasks(20, 'ready', 'ready'))
      await cluster.waitFor(
        () => '20 tasks',
        () => cluster.board.succeeded >= 20,
        120_000,
      )
      await cluster.group.waitForCommitsAtEnd(60_000)
      await waitUntil(
        () => '/ready to answer 200',
        async () => (await probe(`${url}/ready`)).status === 200,
        { timeoutMs: 60_000 },
      )

      const scrapes: Probe[] = []
      let scraping = true
      const scraper = (async () => {
        while (scraping) {
          scrapes.push(await probe(`${url}/metrics`))
          await sleep(SCRAPE_EVERY_MS)
        }
      })()
      const readies: Probe[] = []
      try {
        await kafkaService('down')
        for (let i = 0; i < PROBES; i++) {
          readies.push(await probe(`${url}/ready`))
          await sleep(PROBE_EVERY_MS)
        }
      } finally {
        await kafkaService('up')
      }
      let after: Probe | undefined
      await waitUntil(
        () => `/ready to answer 200 after the outage (last: ${JSON.stringify(after)})`,
        async () => (after = await probe(`${url}/ready`)).status === 200,
        { timeoutMs: 120_000, intervalMs: 500 },
      )
      scraping = false
      await scraper

      const unanswered = readies.filter((p) => p.status === 'no answer').length
      const failing = readies.filter((p) => p.status === 503)
      const source = failing.at(-1)?.body?.checks.source
      t.diagnostic(
        `/ready during the outage: ${readies.length} probes, ${failing.length} answered 503, ` +
          `${unanswered} unanswered, p99 ${p99(readies.map((p) => p.ms)).toFixed(0)} ms, ` +
          `max ${Math.max(...readies.map((p) => p.ms)).toFixed(0)} ms; /metrics: ${scrapes.length} ` +
          `scrapes, p99 ${p99(scrapes.map((p) => p.ms)).toFixed(0)} ms; last source check ${JSON.stringify(source)}`,
      )
      assert.equal(unanswered, 0, `every probe answered within ${PROBE_TIMEOUT_MS} ms`)
      assert.ok(failing.length > 0, '/ready turned 503 while the broker was down')
      assert.equal(readies.at(-1)?.status, 503, 'and stayed 503 until it came back')
      assert.equal(source?.ok, false, 'the source check is what failed')
      assert.equal(typeof source?.age_ms, 'number', "/ready shows the cached result's age")
      assert.ok(
        p99(readies.map((p) => p.ms)) < 1_000,
        '/ready p99 under 1 s (the acceptance bound)',
      )
      assert.ok(
        scrapes.every((s) => s.status === 200),
        `every /metrics scrape answered 200: ${JSON.stringify(scrapes.map((s) => s.status))}`,
      )
      assert.ok(p99(scrapes.map((p) => p.ms)) < 1_000, '/metrics p99 under 1 s')

      const { result } = await worker.stop(30_000)
      assert.equal(result.code, 0, describeRun(['worker'], result))
    })
  },
)
