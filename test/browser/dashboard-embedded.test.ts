/**
 * The dashboard over the embedded queue in Chromium, with one `vectorize worker` and no Redis
 * (the dashboard finds the worker at its configured address): counts per state, the dead letters
 * of a missing model and of a line that is not JSON; after the model is added, a replay from the
 * page ends with the task `succeeded` in the Tasks view and one vector in the Collections view,
 * where a search finds it; the other letter is discarded by its error code. Keyboard navigation
 * works, and no configured secret is ever on the page.
 */
import * as assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import { openPage, screenshot, skipBrowser } from '../helpers/browser.ts'
import { createWorkspace, tail } from '../helpers/cli.ts'
import { startDashboard } from '../helpers/dashboard.ts'
import { storedIds } from '../helpers/kafka-cli.ts'
import { LATE_COLLECTION, lateTask, modelsDir } from '../helpers/late-model.ts'
import { closedPort } from '../helpers/net.ts'
import { waitUntil } from '../helpers/wait.ts'

const SECRETS = {
  VECTORIZE_WORKER_VECTOR_DATABASES_QDRANT_API_KEY: 'qdrant-key-5b1e',
  VECTORIZE_WORKER_VECTOR_DATABASES_WEAVIATE_API_KEY: 'weaviate-key-0c7d',
  VECTORIZE_WORKER_KAFKA_SASL_PASSWORD: 'sasl-password-93aa',
  VECTORIZE_WORKER_DASHBOARD_TOKEN: 'dashboard-token-44f0',
}
const HEALTHY = 20

async function noSecrets(page: Page, where: string) {
  const html = await page.content()
  for (const secret of Object.values(SECRETS)) {
    assert.ok(!html.includes(secret), `${where} shows ${secret}`)
  }
}

describe('dashboard in Chromium, embedded queue', { skip: skipBrowser, timeout: 600_000 }, () => {
  it('should show the queue, replay a fixed task from the page, discard by code, and keep secrets out', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const models = await modelsDir(ws.dir)
    const env = {
      ...models.env,
      ...SECRETS,
      VECTORIZE_WORKER_HTTP_PORT: String(await closedPort()),
      VECTORIZE_WORKER_QUEUE_POLL_INTERVAL_MS: '100',
    }
    const file = join(ws.dir, 'tasks.jsonl')
    const healthy = Array.from({ length: HEALTHY }, (_, i) =>
      JSON.stringify({ version: 1, task_id: `e-${i}`, type: 'text', text: `harbour note ${i}` }),
    )
    await writeFile(file, [...healthy, lateTask('late-e1'), 'this is not JSON'].join('\n') + '\n')
    assert.equal((await ws.run(['submit', '--raw', file], { env })).code, 0)
    const dashboard = await startDashboard(ws, {
      ...env,
      VECTORIZE_WORKER_DASHBOARD_ALLOW_ACTIONS: 'true',
      VECTORIZE_WORKER_DASHBOARD_REFRESH_MS: '500',
    })
    const page = await openPage(t)
    await page.goto(`${dashboard.url}/?token=${SECRETS.VECTORIZE_WORKER_DASHBOARD_TOKEN}`)
    assert.equal(new URL(page.url()).search, '', 'the token leaves the address bar')

    // before any worker runs, the lag is read from the queue's own files: every task is waiting
    await page.locator(`#tile-lag[data-lag="${HEALTHY + 2}"]`).waitFor({ timeout: 60_000 })
    assert.match((await page.locator('#lag caption').textContent()) ?? '', /the embedded queue/)
    const worker = ws.start(['worker'], { env })

    // the worker at its configured address, the queue drained, the counts
    await page.locator('#tile-workers[data-workers="1"]').waitFor({ timeout: 120_000 })
    await page.locator('#tile-lag[data-lag="0"]').waitFor({ timeout: 120_000 })
    const counts = page.locator('#counts')
    await counts.locator('tr', { hasText: 'failed' }).locator('td', { hasText: /^2$/ }).waitFor()
    await counts
      .locator('tr', { hasText: 'succeeded' })
      .locator('td', { hasText: String(HEALTHY) })
      .waitFor()
    await noSecrets(page, 'the overview')

    // keyboard: skip link first, then the sections
    await page.keyboard.press('Tab')
    assert.equal(await page.locator(':focus').textContent(), 'Skip to content')
    await page.getByRole('link', { name: 'Dead letters' }).focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(/#\/dead-letters/)

    const rows = page.locator('#letters tbody tr[data-letter]')
    await rows.nth(1).waitFor()
    assert.equal(await rows.count(), 2)
    const late = rows.filter({ hasText: 'late-e1' })
    const lateId = (await late.getAttribute('data-letter'))!
    await late.getByRole('button', { name: lateId }).click()
    await page.locator('#letter-headers', { hasText: 'unknown_model' }).waitFor()
    await screenshot(page, 'dashboard-embedded-dead-letter')

    await models.addLateModel()
    await late.getByRole('checkbox').check()
    await page.getByRole('button', { name: 'Replay selected' }).click()
    await page.getByRole('button', { name: 'Confirm replay' }).click()
    await page.locator('#action-result', { hasText: '1 dead letter(s) replayed' }).waitFor()

    // the Tasks view says succeeded once the worker has run it again
    await page.getByRole('link', { name: 'Tasks' }).click()
    await page.getByLabel('Task id').fill('late-e1')
    let state: string | null | undefined
    await waitUntil(
      () =>
        `late-e1 to succeed; the page says ${state}; the worker: ${tail(worker.output().stderr)}`,
      async () => {
        await page.getByRole('button', { name: 'Look up' }).click()
        state = await page
          .getByTestId('task-state')
          .textContent({ timeout: 10_000 })
          .catch(async () => `(none: ${await page.locator('main').textContent()})`)
        return state === 'succeeded'
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    )
    assert.equal((await storedIds(ws.lancedbPath, LATE_COLLECTION)).count, 1)
    await screenshot(page, 'dashboard-embedded-task')

    // discard every pending letter of one code
    await page.goto(`${dashboard.url}/#/dead-letters?code=invalid_json`)
    await page.getByRole('button', { name: 'Discard all invalid_json' }).click()
    await page.getByRole('button', { name: 'Confirm discard' }).click()
    await page.locator('#action-result', { hasText: '1 dead letter(s) discarded' }).waitFor()
    await page.goto(`${dashboard.url}/#/dead-letters`)
    await page.getByText('No dead letters match.').waitFor()

    // collections, and a search with the collection's model
    await page.getByRole('link', { name: 'Collections' }).click()
    const lateRow = page.locator('#collections tr', { hasText: LATE_COLLECTION })
    await lateRow.waitFor()
    assert.equal(await lateRow.locator('td').first().textContent(), '1', 'one vector')
    await page.getByLabel('Collection', { exact: true }).selectOption(LATE_COLLECTION)
    await page.getByLabel('Query').fill('a text that waits for its model')
    await page.getByRole('button', { name: 'Search' }).click()
    await page.locator('#hits li', { hasText: 'late-e1' }).waitFor()
    await screenshot(page, 'dashboard-embedded-collections')

    await page.getByRole('link', { name: 'Config' }).click()
    await page.locator('pre.json', { hasText: '***' }).waitFor()
    await noSecrets(page, 'the config view')

    worker.child.kill('SIGTERM')
    assert.equal((await worker.exited).code, 0)
  })
})
