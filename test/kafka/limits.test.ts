import * as assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sizeFindings } from '../../src/kafka/limits.ts'

const settings = {
  max_message_bytes: 1_000_000,
  topics: { tasks: 'tasks', status: 'status', results: 'results', dlq: 'dlq', dlq_handled: '' },
}

describe('sizeFindings', () => {
  it('sizeFindings should say nothing when the topics and the producer agree', () => {
    const limits = new Map([
      ['tasks', 1_000_000],
      ['status', 1_048_588],
      ['results', 1_048_588],
      ['dlq', 1_048_588],
    ])
    assert.deepEqual(sizeFindings(settings, limits), [])
    assert.deepEqual(sizeFindings(settings, new Map()), [], 'nothing read, nothing said')
  })

  it('sizeFindings should name both settings when tasks may be bigger than a dead letter', () => {
    const [finding, ...more] = sizeFindings(settings, new Map([['tasks', 4_194_304]]))
    assert.equal(more.length, 0)
    assert.equal(finding?.topic, 'tasks')
    assert.match(finding?.message ?? '', /max\.message\.bytes/)
    assert.match(finding?.message ?? '', /kafka\.max_message_bytes \(1000000\)/)
    assert.match(finding?.message ?? '', /truncated/)
  })

  it('sizeFindings should warn about every report topic that keeps less than the producer sends', () => {
    const limits = new Map([
      ['status', 65_536],
      ['results', 2_000_000],
      ['dlq', 500_000],
    ])
    const findings = sizeFindings(settings, limits)
    assert.deepEqual(
      findings.map((f) => f.topic),
      ['status', 'dlq'],
    )
    assert.match(findings[1]?.message ?? '', /kafka\.topics\.dlq.*500000.*kafka\.max_message_bytes/)
  })
})
