/**
 * The TaskSource contract suite: every source (local, Kafka) runs it through a harness that gives
 * it a fresh, empty, single-partition log per test. What it checks is what the worker relies on:
 * order, offsets, exact bytes, resuming at the commit, redelivery of what was not committed, and
 * ending on idle or abort.
 */
import * as assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import type { SourceMessage, TaskPublisher, TaskSource } from '../../src/sources/source.ts'
import { Watch } from '../helpers/wait.ts'

export interface SourceHarness {
  /**
   * Opens a consumer of the harness's log. A consumer opened after the previous one closed resumes
   * from that one's commits (same consumer group, for Kafka). Closed by the harness's cleanup.
   */
  openSource(): Promise<TaskSource>
  /** Opens a publisher to the same log. Closed by the harness's cleanup. */
  openPublisher(): Promise<TaskPublisher>
}

/** Creates a fresh, empty, single-partition log and registers its cleanup with `t.after`. */
export type SourceHarnessFactory = (t: TestContext) => Promise<SourceHarness>

export interface ContractOptions {
  /** Per-test timeout; raise it for sources with slow group joins. */
  readonly timeoutMs?: number
}

const encoder = new TextEncoder()
const bytes = (text: string): Uint8Array => encoder.encode(text)
const hex = (value: Uint8Array): string => Buffer.from(value).toString('hex')
const tasks = (n: number, from = 0): Uint8Array[] =>
  Array.from({ length: n }, (_, i) =>
    bytes(
      JSON.stringify({
        version: 1,
        task_id: `t-${from + i}`,
        type: 'text',
        text: `item ${from + i}`,
      }),
    ),
  )

/** Every message until the source reports idle. */
async function drain(source: TaskSource): Promise<SourceMessage[]> {
  const seen: SourceMessage[] = []
  for await (const message of source.messages({
    signal: AbortSignal.timeout(60_000),
    untilIdle: true,
  })) {
    seen.push(message)
  }
  return seen
}

function commitAfter(source: TaskSource, message: SourceMessage): Promise<void> {
  const position = { partition: message.partition, offset: message.offset + 1 }
  return source.commit([position], { signal: AbortSignal.timeout(30_000) })
}

async function publish(harness: SourceHarness, values: readonly Uint8Array[]): Promise<void> {
  const publisher = await harness.openPublisher()
  const written = await publisher.publish(values, { signal: AbortSignal.timeout(30_000) })
  assert.equal(written, values.length)
  await publisher.close()
}

export function sourceContract(
  name: string,
  factory: SourceHarnessFactory,
  options: ContractOptions = {},
): void {
  const timeout = options.timeoutMs ?? 30_000

  describe(`${name} (TaskSource contract)`, () => {
    it(
      `${name} should deliver published messages in order, byte for byte, with increasing offsets`,
      { timeout },
      async (t) => {
        const harness = await factory(t)
        const values = [
          ...tasks(2),
          bytes('not json at all'),
          bytes('{\n  "pretty": "json over lines"\n}'),
          bytes('{"text":"ünïcödé ✓ 漢字"}'),
          Uint8Array.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), // BOM + {}
          Uint8Array.from([0xff, 0xfe, 0x00, 0x0a, 0x80]), // not UTF-8
          new Uint8Array(0),
        ]
        const before = Date.now()
        await publish(harness, values)
        const after = Date.now()
        const source = await harness.openSource()
        const seen = await drain(source)

        assert.deepEqual(
          seen.map((m) => hex(m.value)),
          values.map(hex),
        )
        for (const [i, message] of seen.entries()) {
          assert.ok(message.topic.length > 0)
          assert.equal(message.partition, seen[0]!.partition)
          if (i > 0) assert.ok(message.offset > seen[i - 1]!.offset, 'offsets increase')
          assert.ok(
            message.timestamp >= before - 1000 && message.timestamp <= after + 1000,
            'enqueue time',
          )
        }
      },
    )

    it(
      `${name} should deliver messages published while it is consuming`,
      { timeout },
      async (t) => {
        const harness = await factory(t)
        const source = await harness.openSource()
        const controller = new AbortController()
        const seen: SourceMessage[] = []
        const consuming = (async () => {
          for await (const message of source.messages({
            signal: controller.signal,
            untilIdle: false,
          })) {
            seen.push(message)
            if (seen.length === 3) controller.abort()
          }
        })()
        await publish(harness, tasks(1))
        await publish(harness, tasks(2, 1))
        await consuming
        assert.deepEqual(
          seen.map((m) => hex(m.value)),
          tasks(3).map(hex),
        )
      },
    )

    it(`${name} should resume after the committed offset when reopened`, { timeout }, async (t) => {
      const harness = await factory(t)
      await publish(harness, tasks(6))
      const first = await harness.openSource()
      const seen = await drain(first)
      await commitAfter(first, seen[3]!)
      await first.close()

      const second = await harness.openSource()
      const rest = await drain(second)
      assert.deepEqual(
        rest.map((m) => hex(m.value)),
        tasks(2, 4).map(hex),
      )
      assert.deepEqual(
        rest.map((m) => m.offset),
        seen.slice(4).map((m) => m.offset),
      )
    })

    it(`${name} should redeliver messages that were not committed`, { timeout }, async (t) => {
      const harness = await factory(t)
      await publish(harness, tasks(3))
      const first = await harness.openSource()
      const seen = await drain(first)
      assert.equal(seen.length, 3)
      await first.close()

      const second = await harness.openSource()
      const again = await drain(second)
      assert.deepEqual(
        again.map((m) => hex(m.value)),
        tasks(3).map(hex),
      )
      assert.deepEqual(
        again.map((m) => m.offset),
        seen.map((m) => m.offset),
      )
    })

    it(`${name} should ignore a commit lower than an earlier one`, { timeout }, async (t) => {
      const harness = await factory(t)
      await publish(harness, tasks(5))
      const first = await harness.openSource()
      const seen = await drain(first)
      await commitAfter(first, seen[3]!)
      await commitAfter(first, seen[1]!)
      await first.close()

      const second = await harness.openSource()
      assert.deepEqual(
        (await drain(second)).map((m) => hex(m.value)),
        tasks(1, 4).map(hex),
      )
    })

    it(`${name} should end the iteration when idle if untilIdle is set`, { timeout }, async (t) => {
      const harness = await factory(t)
      const empty = await harness.openSource()
      assert.deepEqual(await drain(empty), [])
      await empty.close()
      await publish(harness, tasks(2))
      const source = await harness.openSource()
      assert.equal((await drain(source)).length, 2)
    })

    it(`${name} should end the iteration when the signal aborts`, { timeout }, async (t) => {
      const harness = await factory(t)
      await publish(harness, tasks(2))
      const source = await harness.openSource()
      const controller = new AbortController()
      const seen: SourceMessage[] = []
      const delivered = new Watch()
      const consuming = (async () => {
        for await (const message of source.messages({
          signal: controller.signal,
          untilIdle: false,
        })) {
          seen.push(message)
          delivered.changed()
        }
      })()
      // the iteration ending (or failing) before both arrived fails the test at once
      const ended = consuming.then(() => {
        throw new Error(`the iteration ended after ${seen.length} of 2 messages`)
      })
      await Promise.race([
        delivered.until(
          () => `both messages (${seen.length} delivered)`,
          () => seen.length >= 2,
          30_000,
        ),
        ended,
      ])
      ended.catch(() => undefined)
      // Now it waits for new messages: aborting must end it, quietly and promptly.
      const abortedAt = Date.now()
      controller.abort()
      await consuming
      assert.ok(Date.now() - abortedAt < 5_000, 'ended promptly')
      assert.equal(seen.length, 2)
    })

    it(
      `${name} should publish and consume 5,000 messages with periodic commits`,
      { timeout: timeout * 4 },
      async (t) => {
        const harness = await factory(t)
        const values = tasks(5_000)
        await publish(harness, values)
        const source = await harness.openSource()
        const seen: SourceMessage[] = []
        for await (const message of source.messages({
          signal: AbortSignal.timeout(120_000),
          untilIdle: true,
        })) {
          seen.push(message)
          if (seen.length % 500 === 0) await commitAfter(source, message)
        }
        assert.equal(seen.length, values.length)
        assert.ok(
          seen.every((m, i) => hex(m.value) === hex(values[i]!)),
          'every message, in order',
        )
        await source.close()

        const reopened = await harness.openSource()
        assert.deepEqual(await drain(reopened), [])
      },
    )
  })
}
