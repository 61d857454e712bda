/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core (Playwright's own
 * browser download does not work here). Each test gets a fresh profile directory and its own
 * browser, closed after it. Without Chromium the browser tests skip, saying so; with CI=true they
 * fail instead, so CI never passes without having run them. Screenshots go to
 * artifacts/screenshots/ (CI keeps that folder).
 */
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { chromium, type Page } from 'playwright-core'
import { repoRoot } from './models.ts'

export const chromiumPath = process.env.VECTORIZE_TEST_CHROMIUM ?? '/usr/bin/chromium'

/** `false` when Chromium is there, else why the browser tests skip; with CI=true, an error. */
export const skipBrowser: string | false = (() => {
  if (existsSync(chromiumPath)) return false
  const reason = `Chromium is not installed at ${chromiumPath} (apt-get install -y chromium, or set VECTORIZE_TEST_CHROMIUM)`
  if (process.env.CI === 'true')
    throw new Error(`CI=true: the browser tests must run, but ${reason}`)
  return reason
})()

export const screenshotDir = join(repoRoot(), 'artifacts', 'screenshots')

/** Flags for a headless Chromium with no network of its own: no sync, updates, QUIC or first run. */
const flags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** A page of a new browser (1440×900, a laptop screen) with a fresh profile; closed after the test. */
export async function openPage(
  t: TestContext,
  viewport = { width: 1440, height: 900 },
): Promise<Page> {
  const profile = await mkdtemp(join(tmpdir(), 'vectorize-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: flags,
    viewport,
  })
  t.after(async () => {
    await context.close().catch(() => undefined)
    await rm(profile, { recursive: true, force: true })
  })
  const page = context.pages()[0] ?? (await context.newPage())
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(`${err.message} at ${page.url()}\n${err.stack ?? ''}`))
  t.after(() => {
    if (errors.length > 0) throw new Error(`the page threw: ${errors.join('; ')}`)
  })
  return page
}

/** Saves a full-page screenshot as artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(screenshotDir, { recursive: true })
  const path = join(screenshotDir, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}
