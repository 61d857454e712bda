/**
 * Acceptance 1 of issue 13, in Chromium: two real `vectorize worker` processes on the real Kafka
 * broker and Redis, and `vectorize dashboard` beside them. The page shows both workers, throughput
 * that matches their /metrics within a refresh, the lag going to 0 and the counts per state (from
 * the dashboard's tail of the status topic); a poison task (a missing model) appears in Dead letters
 * with its headers; once the model is added to models.dir, replaying it from the page ends with the
 * task `succeeded` (in the counts too) and exactly one set of vectors; a worker that is SIGKILLed
 * drops off the page within its heartbeat TTL. Screenshots go to artifacts/screenshots.
 */
import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Locator, Page } from 'playwright-core'
import type { Snapshot } from '../../src/dashboard/api-types.ts'
import type { WorkerRecord } from '../../src/observability/worker-record.ts'
import { openPage, screenshot, skipBrowser } from '../helpers/browser.ts'
import { startDashboard } from '../helpers/dashboard.ts'
import { skipKafka } from '../helpers/kafka.ts'
import { kafkaCluster, storedIds, textTasks } from '../helpers/kafka-cli.ts'
import { LATE_COLLECTION, lateTask, modelsDir } from '../helpers/late-model.ts'
import { heartbeatEnv, heartbeatSettings, skipRedis } from '../helpers/redis.ts'
import { waitUntil } from '../helpers/wait.ts'

const TASKS = 200
const REFRESH_MS = 1_000
const hb = heartbeatSettings(500, 3_000)

/** What the workers' own /metrics say now, summed: tasks finished, items and tokens embedded. */
async function metricsTotals(workers: readonly WorkerRecord[]) {
  const sum = { finished: 0, items: 0, tokens: 0 }
  for (const w of workers) {
    const text = await (await fetch(`${w.metrics_url}/metrics`)).text()
    for (const line of text.split('\n')) {
      const value = Number(line.split(' ').at(-1))
      if (/^vectorize_tasks_total\{/.test(line)) sum.finished += value
      if (line.startsWith('vectorize_items_embedded_total ')) sum.items += value
      if (line.startsWith('vectorize_tokens_embedded_total ')) sum.tokens += value
    }
  }
  return sum
}

/** The worker ids of the Workers table's rows, in order. */
async function workerIds(rows: Locator): Promise<string[]> {
  const all = await rows.all()
  return Promise.all(all.map(async (row) => (await row.getAttribute('data-worker')) ?? ''))
}

/** The tile's data-* numbers as the page shows them now. */
async function tile(page: Page, id: string, key: string): Promise<number | undefined> {
  const raw = await page.locator(`#${id}`).getAttribute(`data-${key}`)
  return raw === null ? undefined : Number(raw)
}

/** Waits until the Overview's counts per state show `count` tasks in `state`. */
async function countShown(page: Page, state: string, count: number): Promise<void> {
  const row = page.locator('#counts tr', {
    has: page.locator('th', { hasText: new RegExp(`^${state}$`) }),
  })
  await row.locator('td', { hasText: new RegExp(`^${count}$`) }).waitFor({ timeout: 60_000 })
}

const skip = skipBrowser || skipKafka || skipRedis

describe('dashboard in Chromium, Kafka mode', { skip, timeout: 600_000 }, () => {
  it('should show the cluster live, find a poison task, replay it after the fix and lose a killed worker', async (t) => {
    const cluster = await kafkaCluster(t, { partitions: 3 })
    const { ws, board } = cluster
    const { topics } = cluster.settings
    const models = await modelsDir(ws.dir)
    const extra = { ...models.env, ...heartbeatEnv(hb) }
    const env = { ...cluster.env, ...extra }
    const dashboard = await startDashboard(ws, {
      ...env,
      VECTORIZE_WORKER_DASHBOARD_ALLOW_ACTIONS: 'true',
      VECTORIZE_WORKER_DASHBOARD_REFRESH_MS: String(REFRESH_MS),
    })
    const workerA = cluster.worker('w-a', extra)
    const workerB = cluster.worker('w-b', extra)
    const page = await openPage(t)

    // both workers, from their heartbeats
    await page.goto(`${dashboard.url}/#/workers`)
    const rows = page.locator('#workers tbody tr[data-worker]')
    let shown: string[] = []
    await waitUntil(
      () => `both workers on the page, which shows ${JSON.stringify(shown)}`,
      async () => {
        shown = await workerIds(rows)
        return shown.length === 2
      },
      { timeoutMs: 120_000 },
    )
    assert.deepEqual(await workerIds(rows), ['w-a', 'w-b'])
    await cluster.group.waitForMembers(2, 120_000)

    // work, and one poison task
    await page.goto(`${dashboard.url}/#/overview`)
    await cluster.submit([...textTasks(TASKS, 'dash', 'dash'), lateTask('late-b1')])
    await cluster.waitFor(
      () => `${TASKS} tasks to succeed and 1 to fail (${board.succeeded}, ${board.failed})`,
      () => board.succeeded >= TASKS && board.failed >= 1,
      240_000,
    )
    await cluster.group.waitForCommitsAtEnd(60_000)

    // the lag goes to 0 on the page
    await page.locator('#tile-lag[data-lag="0"]').waitFor({ timeout: 10 * REFRESH_MS + 30_000 })
    assert.equal(await page.getByTestId('lag-total').textContent(), '0')
    // counts per state, from the dashboard's tail of the status topic
    await countShown(page, 'succeeded', TASKS)
    await countShown(page, 'failed', 1)

    // throughput that matches the workers' /metrics within a refresh: the workers are idle now,
    // so their counters stand still; the page shows their sum after its next scrape
    const records = (await ws.json<WorkerRecord[]>(['workers'], { env })).filter(
      (w) => w.metrics_url,
    )
    assert.equal(records.length, 2)
    const truth = await metricsTotals(records)
    assert.equal(truth.finished, TASKS + 1)
    await page
      .locator(`#tile-tasks-rate[data-finished="${truth.finished}"]`)
      .waitFor({ timeout: 3 * REFRESH_MS + 10_000 })
    assert.equal(await tile(page, 'tile-items-rate', 'total'), truth.items)
    assert.equal(await tile(page, 'tile-tokens-rate', 'total'), truth.tokens)
    // the rate chart's points, integrated over time, add up to the same work
    const snapshot = await page.evaluate(
      async (): Promise<Snapshot> => (await fetch('/api/snapshot')).json() as Promise<Snapshot>,
    )
    const { series } = snapshot
    let integral = 0
    for (let i = 1; i < series.t.length; i++) {
      integral += (series.tasks[i] ?? 0) * ((series.t[i]! - series.t[i - 1]!) / 1000)
    }
    assert.ok(
      Math.abs(integral - truth.finished) < 1e-6,
      `tasks/s over time ${integral}, /metrics ${truth.finished}`,
    )
    await screenshot(page, 'dashboard-overview')

    // the poison task in Dead letters, with its headers
    await page.goto(`${dashboard.url}/#/dead-letters`)
    const letterRow = page.locator('#letters tbody tr[data-letter]')
    await letterRow.first().waitFor({ timeout: 30_000 })
    assert.equal(await letterRow.count(), 1)
    assert.match((await letterRow.textContent()) ?? '', /unknown_model.*late-b1/)
    const id = (await letterRow.getAttribute('data-letter'))!
    await letterRow.getByRole('button', { name: id }).click()
    const headers = page.locator('#letter-headers')
    await headers.waitFor()
    const headerText = (await headers.textContent()) ?? ''
    for (const expected of [
      'x-error-code',
      'unknown_model',
      'x-origin-topic',
      topics.tasks,
      'x-worker-id',
      'x-task-id',
      'late-b1',
    ]) {
      assert.ok(headerText.includes(expected), `header table shows ${expected}: ${headerText}`)
    }
    await screenshot(page, 'dashboard-dead-letter')

    // fix the cause, replay from the page
    await models.addLateModel()
    await page.getByRole('checkbox', { name: `select dead letter ${id}` }).check()
    await page.getByRole('button', { name: 'Replay selected' }).click()
    await page.getByRole('button', { name: 'Confirm replay' }).click()
    await page.locator('#action-result', { hasText: '1 dead letter(s) replayed' }).waitFor()
    await cluster.waitFor(
      () => 'the replayed task to succeed',
      () => (board.tasks.get('late-b1')?.succeededAt.length ?? 0) >= 1,
      120_000,
    )
    await cluster.group.waitForCommitsAtEnd(60_000)
    assert.equal((await storedIds(ws.lancedbPath, LATE_COLLECTION)).count, 1, 'one set of vectors')
    await page.getByLabel('State').selectOption('all')
    await page.getByRole('button', { name: 'Show' }).click()
    await page.locator(`tr[data-letter="${id}"]`, { hasText: 'replayed' }).waitFor()
    await page.goto(`${dashboard.url}/#/overview`)
    await countShown(page, 'succeeded', TASKS + 1)
    await countShown(page, 'failed', 0)

    // a SIGKILLed worker leaves the page within its heartbeat TTL
    await page.goto(`${dashboard.url}/#/workers`)
    await page.locator('tr[data-worker="w-b"]').waitFor()
    await workerB.kill()
    const killedAt = performance.now()
    await page
      .locator('tr[data-worker="w-b"]')
      .waitFor({ state: 'detached', timeout: hb.ttlMs + 4 * REFRESH_MS + 10_000 })
    t.diagnostic(
      `w-b left the page ${Math.round(performance.now() - killedAt)} ms after SIGKILL (TTL ${hb.ttlMs} ms, refresh ${REFRESH_MS} ms)`,
    )
    assert.equal(await page.locator('tr[data-worker="w-a"]').count(), 1)
    await screenshot(page, 'dashboard-workers')

    const { result } = await workerA.stop(30_000)
    assert.equal(result.code, 0)
  })
})
