/**
 * The parser threads: at most `size` parse at once and the others wait for a thread; a parse
 * cancelled while it runs or while it waits ends at once with `cancelled`, and the pool goes on.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ParseThreads } from '../../src/documents/pool.ts'
import { parseInput, slowDocuments } from '../helpers/documents.ts'

describe('parser threads', () => {
  it('should parse more documents than threads, each in turn', async () => {
    const threads = new ParseThreads(1)
    const docs = ['# One\na', 'Two\n===\nb', '# Three\nc']
    const parsed = await Promise.all(docs.map((md) => threads.parse('md', parseInput(md))))
    assert.deepEqual(
      parsed.map((d) => d.title),
      ['One', 'Two', 'Three'],
    )
  })

  it('should cancel a running parse and a waiting one, then parse the next', async () => {
    const threads = new ParseThreads(1)
    const running = new AbortController()
    const waiting = new AbortController()
    const slow = threads.parse('html', parseInput(slowDocuments.html(), { signal: running.signal }))
    const queued = threads.parse('md', parseInput('# Queued', { signal: waiting.signal }))
    waiting.abort()
    await assert.rejects(queued, { code: 'cancelled' })
    running.abort()
    await assert.rejects(slow, { code: 'cancelled' })
    const next = await threads.parse('md', parseInput('# Next\ntext'))
    assert.equal(next.title, 'Next')
  })
})
