/**
 * Acceptance 3 of issue 13: the screenshots the browser tests take are kept as CI artifacts, and
 * one of them is in the README. The browser tests (test/browser) take them; this checks where they
 * go, that CI keeps that folder, and that the README's image is there and is a PNG.
 */
import * as assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { describe, it } from 'node:test'
import { screenshotDir } from '../helpers/browser.ts'
import { repoRoot } from '../helpers/models.ts'

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

describe('dashboard screenshots', () => {
  it('should keep the browser tests’ screenshots as CI artifacts', async () => {
    const folder = relative(repoRoot(), screenshotDir)
    assert.equal(folder, join('artifacts', 'screenshots'))
    const ci = await readFile(join(repoRoot(), '.ci/run'), 'utf8')
    assert.match(ci, /^# Artifacts to keep: artifacts\/screenshots\//m, '.ci/run names the folder')
    assert.match(
      ci,
      /^\s*ls artifacts\/screenshots$/m,
      'the browser lane fails without screenshots',
    )
  })

  it('should show one of them in the README', async () => {
    const readme = await readFile(join(repoRoot(), 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('\n## Dashboard\n'))
    const image = /!\[[^\]]+\]\((docs\/[\w-]+\.png)\)/.exec(section)?.[1]
    assert.ok(image, 'the Dashboard section shows a PNG from docs/')
    const bytes = await readFile(join(repoRoot(), image))
    assert.deepEqual(bytes.subarray(0, 8), PNG, `${image} is a PNG`)
    // its width is the browser tests' viewport: it is one of their screenshots, not a drawing
    assert.equal(bytes.readUInt32BE(16), 1440)
  })
})
