/**
 * One bad message at a time between good ones, on a real Worker over the fakes: each fails alone
 * with its stable code and one attempt, is dead-lettered once with its original bytes, and the good
 * tasks between them succeed. The same through the real CLI, the file queue and LanceDB, with
 * `vectorize status` and dlq.log: test/e2e/cli/cli.test.ts.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fakeWorker, submit, textTask } from '../helpers/fake-worker.ts'

interface BadCase {
  readonly line: string
  readonly code: string
  /** What the error message must say about the input. */
  readonly says: RegExp
}

const text = (id: string, body: string, extra: object = {}) =>
  JSON.stringify({ version: 1, ...textTask(id, body), ...extra })

const badCases: readonly BadCase[] = [
  { line: 'not json at all {', code: 'invalid_json', says: /not valid JSON/ },
  {
    line: JSON.stringify({ version: 1, type: 'text', text: 'no task id' }),
    code: 'invalid_task',
    says: /task_id/,
  },
  {
    line: JSON.stringify({ version: 1, task_id: 'bad-type', type: 'video', text: 'x' }),
    code: 'invalid_task',
    says: /"video" is not a task type/,
  },
  { line: text('bad-empty', '   '), code: 'empty_text', says: /text is empty/ },
  {
    line: text('bad-large', 'a'.repeat(200)),
    code: 'input_too_large',
    says: /200 bytes; the limit is 128/,
  },
  {
    line: text('bad-model', 'which model?', { model: 'nobody/no-such-model' }),
    code: 'unknown_model',
    says: /nobody\/no-such-model/,
  },
  {
    line: '{"version":1,"task_id":"bad-proto","type":"text","text":"x","metadata":{"__proto__":{"polluted":true}}}',
    code: 'unsafe_json',
    says: /__proto__/,
  },
]

describe('a worker on bad input', () => {
  it('should fail each bad message alone with its code, dead-letter it once and run the good ones', async () => {
    const w = fakeWorker({ processing: { max_text_bytes: 128 } })
    const lines = badCases.flatMap((bad, i) => [text(`good-${i}`, `good text ${i}`), bad.line])
    w.log.append(lines.map((line) => new TextEncoder().encode(line)))
    submit(w.log, [textTask('good-last')])
    await w.worker.run({ untilIdle: true })

    const letters = w.reporter.deadLetters
    assert.equal(letters.length, badCases.length, 'one dead letter per bad message')
    for (const bad of badCases) {
      // found by its original bytes: a failure found while running comes after later messages
      const letter = letters.find((l) => Buffer.from(l.value).toString('utf8') === bad.line)
      assert.ok(letter, `a dead letter with the original bytes of ${bad.code}`)
      assert.equal(letter.error.code, bad.code, letter.error.message)
      assert.match(letter.error.message, bad.says)
      assert.equal(letter.attempts, 1, `${bad.code}: a refused message counts one attempt`)
      const failed = w.reporter.statuses.filter(
        (s) => s.task_id === letter.taskId && s.state === 'failed',
      )
      assert.equal(failed.length, 1, `${letter.taskId}: one failed status`)
      assert.equal(failed[0]!.error?.code, bad.code)
      assert.equal(failed[0]!.error?.retriable, false)
    }
    const succeeded = w.reporter.statuses.filter((s) => s.state === 'succeeded')
    assert.deepEqual(
      succeeded.map((s) => s.task_id).sort(),
      [...badCases.map((_, i) => `good-${i}`), 'good-last'].sort(),
    )
  })
})
