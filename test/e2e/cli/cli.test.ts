/**
 * The CLI as a user meets it: each command run as a child process over a temp queue and LanceDB,
 * asserting on exit codes, what is printed and what ends up stored.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { before, describe, it } from 'node:test'
import { buildProgram } from '../../../src/cli/index.ts'
import {
  createWorkspace,
  describeRun,
  suiteCleanup,
  type CliResult,
  type Workspace,
} from '../../helpers/cli.ts'
import { countQueuedMessages, foldStatusLog, readDeadLetters } from '../../helpers/queue-files.ts'

const MINILM = 'vectorize-test/minilm-tiny@fp32'
const BERT_CLS = 'vectorize-test/bert-tiny-cls'

type Counts = Record<'queued' | 'started' | 'progress' | 'succeeded' | 'failed', number>

interface StatusRecord {
  task_id: string
  state: string
  attempts: number
  error?: { code: string; message: string; retriable: boolean }
  result?: {
    collection: string
    model: string
    dimensions: number
    ids: string[]
    counts: { items: number; vectors: number }
  }
  history?: { records: { state: string }[]; compacted: boolean }
}

interface Hit {
  id: string
  score: number
  documentId: string
  text: string
  metadata: Record<string, unknown>
}

interface CollectionRow {
  name: string
  count: number
  dimensions: number
  distance: string
  model: string
}

const text = (task_id: string, body: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ version: 1, task_id, type: 'text', text: body, ...extra })

async function writeLines(ws: Workspace, name: string, lines: readonly string[]): Promise<string> {
  const file = join(ws.dir, name)
  await writeFile(file, lines.join('\n') + '\n')
  return file
}

/** Runs and asserts the exit code, with the command's output in the failure message. */
async function expectExit(
  ws: Workspace,
  args: readonly string[],
  code: number,
  env?: Record<string, string>,
): Promise<CliResult> {
  const result = await ws.run(args, env ? { env } : {})
  assert.equal(result.code, code, describeRun(args, result))
  return result
}

describe('vectorize submit', () => {
  const mixed = [
    text('ok-1', 'first valid task'),
    'this is not json',
    JSON.stringify({ type: 'text', text: 'no task id' }),
    '',
    text('ok-2', 'second valid task'),
  ]
  const nothingQueued = { queued: 0, started: 0, progress: 0, succeeded: 0, failed: 0 }

  it('should send nothing when a line is rejected, name the rejected lines with their codes and exit 65', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const file = await writeLines(ws, 'mixed.jsonl', mixed)

    const plain = await expectExit(ws, ['submit', file], 65)
    assert.match(plain.stdout, /submitted 0 tasks/)
    assert.match(plain.stdout, /line 2: invalid_json: /)
    assert.match(plain.stdout, /line 3: invalid_task: task_id/)
    assert.match(plain.stdout, /rejected 2 invalid line\(s\); nothing was sent/)
    assert.equal(await countQueuedMessages(ws.queueDir), 0, 'all or nothing')
    assert.deepEqual(await ws.json<Counts>(['status']), nothingQueued)

    const json = await expectExit(ws, ['--json', 'submit', file], 65)
    const report = JSON.parse(json.stdout) as {
      submitted: number
      rejected: { line: number; code: string; message: string }[]
    }
    assert.equal(report.submitted, 0)
    assert.deepEqual(
      report.rejected.map((r) => [r.line, r.code]),
      [
        [2, 'invalid_json'],
        [3, 'invalid_task'],
      ],
    )
    assert.equal(await countQueuedMessages(ws.queueDir), 0)

    // a script that fixes the file and submits again sends each task once
    await writeLines(ws, 'mixed.jsonl', [mixed[0]!, mixed[4]!])
    await expectExit(ws, ['submit', file], 0)
    assert.equal(await countQueuedMessages(ws.queueDir), 2)
  })

  it('should send the valid lines with --partial and every line with --raw', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const file = await writeLines(ws, 'mixed.jsonl', mixed)
    const partial = await expectExit(ws, ['submit', '--partial', file], 65)
    assert.match(partial.stdout, /submitted 2 tasks/)
    assert.match(partial.stdout, /line 2: invalid_json: /)
    assert.match(partial.stdout, /the valid ones were sent \(--partial\)/)
    assert.equal(await countQueuedMessages(ws.queueDir), 2)
    assert.equal((await ws.json<Counts>(['status'])).queued, 2)

    const raw = await expectExit(ws, ['--json', 'submit', '--raw', file], 0)
    assert.deepEqual(JSON.parse(raw.stdout), { submitted: 4, rejected: [] })
    assert.equal(await countQueuedMessages(ws.queueDir), 2 + 4)
  })

  it('should read stdin all or nothing too, keeping line numbers', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const refused = await ws.run(['--json', 'submit', '-'], { input: mixed.join('\n') })
    assert.equal(refused.code, 65, describeRun(['submit', '-'], refused))
    const report = JSON.parse(refused.stdout) as { submitted: number; rejected: { line: number }[] }
    assert.deepEqual([report.submitted, report.rejected.map((r) => r.line)], [0, [2, 3]])
    assert.equal(await countQueuedMessages(ws.queueDir), 0)
    const valid = [mixed[0]!, '', mixed[4]!].join('\n')
    const sent = await ws.run(['--json', 'submit'], { input: valid })
    assert.equal(sent.code, 0, describeRun(['submit'], sent))
    assert.deepEqual(JSON.parse(sent.stdout), { submitted: 2, rejected: [] })
    assert.equal(await countQueuedMessages(ws.queueDir), 2)
  })
})

describe('vectorize worker --exit-when-idle and status', () => {
  let ws: Workspace
  let worker: CliResult
  const cleanup = suiteCleanup()
  before(async () => {
    ws = await createWorkspace(cleanup)
    const file = await writeLines(ws, 'tasks.jsonl', [
      text('w-1', 'the quick brown fox', { id: 'fox', collection: 'animals' }),
      text('w-2', 'jumps over the lazy dog', { collection: 'animals' }),
      text('w-3', 'a third text in the default collection'),
    ])
    await expectExit(ws, ['submit', file], 0)
    worker = await ws.run(['worker', '--exit-when-idle'])
  })

  it('worker --exit-when-idle should process the whole queue and exit 0', () => {
    assert.equal(worker.code, 0, describeRun(['worker', '--exit-when-idle'], worker))
    assert.match(worker.stdout, /3 succeeded, 0 failed/)
  })

  it('status TASK_ID should show the task succeeded with its result', async () => {
    const record = await ws.json<StatusRecord>(['status', 'w-1'])
    assert.equal(record.state, 'succeeded')
    assert.equal(record.attempts, 1)
    assert.equal(record.result?.collection, 'animals')
    assert.equal(record.result.model, MINILM)
    assert.equal(record.result.dimensions, 64)
    assert.equal(record.result.counts.vectors, 1)
    assert.equal(record.result.ids.length, 1)
    const human = await expectExit(ws, ['status', 'w-3'], 0)
    assert.match(human.stdout, /state\s+succeeded/)
    assert.match(human.stdout, /1 vector\(s\) in documents \(vectorize-test\/minilm-tiny@fp32\)/)
  })

  it('status TASK_ID --history should print the status records, oldest first', async () => {
    const record = await ws.json<StatusRecord>(['status', 'w-2', '--history'])
    const states = record.history?.records.map((h) => h.state) ?? []
    assert.equal(states[0], 'queued', 'written by submit')
    assert.equal(states.at(-1), 'succeeded')
    assert.ok(states.includes('started'))
    assert.equal(record.history?.compacted, false)
    const human = await expectExit(ws, ['status', 'w-2', '--history'], 0)
    assert.match(human.stdout, /^history\s+\d+ status record\(s\), oldest first$/m)
    assert.match(human.stdout, /^ {2}\S+ {2}queued\s+/m)
    assert.match(human.stdout, /^ {2}\S+ {2}succeeded\s+/m)
    const plain = await ws.json<StatusRecord>(['status', 'w-2'])
    assert.equal(plain.history, undefined, 'only when asked')
  })

  it('status without a task id should print the count of each state', async () => {
    const human = await expectExit(ws, ['status'], 0)
    assert.match(human.stdout, /^succeeded\s+3$/m)
    assert.match(human.stdout, /^queued\s+0$/m)
    assert.match(human.stdout, /^failed\s+0$/m)
    assert.deepEqual(await ws.json<Counts>(['status']), {
      queued: 0,
      started: 0,
      progress: 0,
      succeeded: 3,
      failed: 0,
    })
  })

  it('status of an unknown task id should exit 3', async () => {
    const result = await expectExit(ws, ['status', 'unknown-id'], 3)
    assert.match(result.stderr, /no task "unknown-id"/)
  })
})

interface BadCase {
  readonly line: string
  readonly code: string
  /** What the message must say about the input. */
  readonly says: RegExp
  /** Its task id; undefined when the line has none that can be parsed. */
  readonly taskId?: string
}

const badCases: readonly BadCase[] = [
  { line: 'not json at all {', code: 'invalid_json', says: /not valid JSON/ },
  {
    line: JSON.stringify({ version: 1, type: 'text', text: 'no task id' }),
    code: 'invalid_task',
    says: /task_id/,
  },
  {
    line: JSON.stringify({ task_id: 'bad-type', type: 'video', text: 'x' }),
    code: 'invalid_task',
    says: /"video" is not a task type/,
    taskId: 'bad-type',
  },
  {
    line: text('bad-empty', '   '),
    code: 'empty_text',
    says: /text is empty/,
    taskId: 'bad-empty',
  },
  {
    line: text('bad-large', 'a'.repeat(1024 * 1024)),
    code: 'input_too_large',
    says: /1048576 bytes; the limit is 131072/,
    taskId: 'bad-large',
  },
  {
    line: text('bad-model', 'which model?', { model: 'nobody/no-such-model' }),
    code: 'unknown_model',
    says: /nobody\/no-such-model/,
    taskId: 'bad-model',
  },
  {
    line: text('bad-dims', 'wrong width', { collection: 'dims' }),
    code: 'dimension_mismatch',
    says: /dims.*48.*64/,
    taskId: 'bad-dims',
  },
  {
    // JSON.stringify would drop a __proto__ key, so the line is written by hand
    line: '{"version":1,"task_id":"bad-proto","type":"text","text":"x","metadata":{"__proto__":{"polluted":true}}}',
    code: 'unsafe_json',
    says: /__proto__/,
  },
  {
    line: JSON.stringify({ task_id: 'bad-image', type: 'image', image: { path: '/tmp/x.png' } }),
    code: 'path_not_allowed',
    says: /allowed_roots/,
    taskId: 'bad-image',
  },
]

describe('vectorize worker on bad input', () => {
  let ws: Workspace
  /** Failed task id → the case, synthetic `local:0:<offset>` ids included. */
  const expected = new Map<string, BadCase>()
  const goodIds: string[] = []

  const cleanup = suiteCleanup()
  before(async () => {
    ws = await createWorkspace(cleanup)
    // a 48-d collection made first, so a 64-d task into it must fail
    const setup = await writeLines(ws, 'setup.jsonl', [
      text('dims-setup', 'made with the CLS model', { model: BERT_CLS, collection: 'dims' }),
    ])
    await expectExit(ws, ['submit', setup], 0)
    await expectExit(ws, ['worker', '--exit-when-idle'], 0)

    const lines: string[] = []
    const offset0 = await countQueuedMessages(ws.queueDir)
    badCases.forEach((bad, i) => {
      goodIds.push(`good-${i}`)
      lines.push(text(`good-${i}`, `a good text number ${i} between bad ones`))
      expected.set(bad.taskId ?? `local:0:${offset0 + lines.length}`, bad)
      lines.push(bad.line)
    })
    goodIds.push('good-last')
    lines.push(text('good-last', 'the last good text'))
    const file = await writeLines(ws, 'bad.jsonl', lines)
    await expectExit(ws, ['submit', '--raw', file], 0)
    await expectExit(ws, ['worker', '--exit-when-idle'], 0)
  })

  it('should report each bad message failed with its stable code and what was wrong', async () => {
    const folded = await foldStatusLog(ws.queueDir)
    for (const [taskId, bad] of expected) {
      const task = folded.tasks.get(taskId)
      assert.equal(task?.state, 'failed', `${taskId} (${bad.code}) in status.log`)
      assert.equal(task.error?.code, bad.code, `${taskId}: ${task.error?.message}`)
      assert.match(task.error.message, bad.says)
    }
    // what `vectorize status` shows, for a synthetic id, a validation and a runtime failure
    const sample = [...expected].filter(([, bad]) =>
      ['invalid_json', 'empty_text', 'dimension_mismatch'].includes(bad.code),
    )
    const records = await Promise.all(sample.map(([id]) => ws.json<StatusRecord>(['status', id])))
    for (const record of records) {
      const bad = expected.get(record.task_id)!
      assert.equal(record.state, 'failed', `${record.task_id} (${bad.code})`)
      assert.equal(record.error?.code, bad.code, `${record.task_id}: ${record.error?.message}`)
      assert.match(record.error.message, bad.says)
      assert.equal(record.error.retriable, false)
      assert.equal(record.attempts, 1, `${record.task_id}: a refused message counts one attempt`)
    }
    assert.equal(records.length, 3)
  })

  it('should process the good tasks between them', async () => {
    const folded = await foldStatusLog(ws.queueDir)
    const good = goodIds.map((id) => [id, folded.tasks.get(id)?.state])
    assert.deepEqual(
      good,
      goodIds.map((id) => [id, 'succeeded']),
    )
    const counts = await ws.json<Counts>(['status'])
    assert.deepEqual(counts, {
      queued: 0,
      started: 0,
      progress: 0,
      succeeded: goodIds.length + 1, // + dims-setup
      failed: badCases.length,
    })
    const collections = await ws.json<CollectionRow[]>(['collections'])
    const documents = collections.find((c) => c.name === 'documents')
    assert.equal(documents?.count, goodIds.length)
  })

  it('should write one dead letter per failed task to queue.dir/dlq.log', async () => {
    const letters = await readDeadLetters(ws.queueDir)
    assert.equal(letters.length, badCases.length)
    assert.deepEqual(
      letters.map((l) => [l.task_id, l.error.code]).sort(),
      [...expected].map(([id, bad]) => [id, bad.code]).sort(),
    )
    for (const letter of letters) {
      assert.equal(letter.error.class, 'data')
      assert.match(letter.error.message, expected.get(letter.task_id)!.says)
    }
  })
})

describe('vectorize search and collections', () => {
  let ws: Workspace
  const cleanup = suiteCleanup()
  before(async () => {
    ws = await createWorkspace(cleanup)
    const topics = ['x', 'y', 'x', 'y', 'x', 'y', 'z', 'x']
    const file = await writeLines(ws, 'notes.jsonl', [
      ...topics.map((topic, i) =>
        text(`n-${i}`, `note ${i} about the ${topic} project and its roadmap`, {
          id: `note-${i}`,
          collection: 'notes',
          metadata: { topic, n: i },
        }),
      ),
      text('c-1', 'a second collection with another model', { model: BERT_CLS, collection: 'cls' }),
    ])
    await expectExit(ws, ['submit', file], 0)
    await expectExit(ws, ['worker', '--exit-when-idle'], 0)
  })

  it('search should return k hits sorted by score with their text and metadata', async () => {
    const args = ['search', 'the x project roadmap', '--collection', 'notes', '--k', '3', '--json']
    const result = await expectExit(ws, args, 0)
    const hits = JSON.parse(result.stdout) as Hit[]
    assert.equal(hits.length, 3)
    const scores = hits.map((h) => h.score)
    assert.deepEqual(
      scores,
      [...scores].sort((a, b) => b - a),
      'sorted by score, best first',
    )
    for (const hit of hits) {
      const n = Number(hit.documentId.replace('note-', ''))
      assert.match(hit.text, new RegExp(`^note ${n} about the`))
      assert.equal(hit.metadata.n, n)
      assert.equal(typeof hit.metadata.topic, 'string')
    }
  })

  it('search --filter should return only the hits that match', async () => {
    const args = ['search', 'project', '-c', 'notes', '-k', '10', '--filter', 'topic=x', '--json']
    const hits = JSON.parse((await expectExit(ws, args, 0)).stdout) as Hit[]
    assert.deepEqual(hits.map((h) => h.documentId).sort(), ['note-0', 'note-2', 'note-4', 'note-7'])
    assert.ok(hits.every((h) => h.metadata.topic === 'x'))
  })

  it('search in a missing collection should exit 3 and list the collections', async () => {
    const result = await expectExit(ws, ['search', 'anything', '--collection', 'nope'], 3)
    assert.match(result.stderr, /collection nope does not exist/)
    assert.match(result.stderr, /collections: .*cls/)
    assert.match(result.stderr, /collections: .*notes/)
  })

  it('collections --json should list name, count, dimensions, distance and model identity', async () => {
    const rows = await ws.json<CollectionRow[]>(['collections'])
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]))
    assert.deepEqual(byName.notes, {
      name: 'notes',
      count: 8,
      dimensions: 64,
      distance: 'cosine',
      model: MINILM,
    })
    assert.deepEqual(byName.cls, {
      name: 'cls',
      count: 1,
      dimensions: 48,
      distance: 'cosine',
      model: `${BERT_CLS}@fp32`,
    })
    assert.equal(rows.length, 2)
  })
})

describe('vectorize config print', () => {
  it('should show env and flag overrides and redact secrets', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const env = { VECTORIZE_WORKER_VECTOR_DATABASES_QDRANT_API_KEY: 'sekrit-api-key-123' }
    const args = ['--worker-id', 'w-cli', '--set', 'processing.max_batch_tokens=1000']
    const human = await expectExit(ws, [...args, 'config', 'print'], 0, env)
    assert.match(human.stdout, /^ {2}id: w-cli$/m)
    assert.match(human.stdout, /^ {2}max_batch_tokens: 1000$/m)
    assert.ok(!human.stdout.includes('sekrit'), 'the API key is not printed')
    const config = JSON.parse(
      (await expectExit(ws, ['--json', ...args, 'config', 'print'], 0, env)).stdout,
    ) as {
      worker: { id: string }
      processing: { max_batch_tokens: number }
      queue: { dir: string }
      vector_databases: { qdrant: { api_key: string } }
    }
    assert.equal(config.worker.id, 'w-cli')
    assert.equal(config.processing.max_batch_tokens, 1000)
    assert.equal(config.queue.dir, ws.queueDir, 'from VECTORIZE_WORKER_QUEUE_DIR')
    assert.notEqual(
      config.vector_databases.qdrant.api_key,
      env.VECTORIZE_WORKER_VECTOR_DATABASES_QDRANT_API_KEY,
    )
    assert.ok(config.vector_databases.qdrant.api_key.length > 0, 'redacted, not emptied')
  })

  it('should exit 78 naming the setting, the value and its origin when a value is invalid', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const env = { VECTORIZE_WORKER_MAX_CONCURRENT_TASKS: '0' }
    const result = await expectExit(ws, ['config', 'print'], 78, env)
    assert.match(result.stderr, /processing\.max_concurrent_tasks/)
    assert.match(result.stderr, /= 0\b/)
    assert.match(result.stderr, /VECTORIZE_WORKER_MAX_CONCURRENT_TASKS/)
  })
})

describe('vectorize (program)', () => {
  it('--help should list every command', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const { stdout } = await expectExit(ws, ['--help'], 0)
    const commands = buildProgram().commands.map((c) => c.name())
    assert.ok(commands.length >= 9, commands.join(', '))
    for (const command of commands)
      assert.match(stdout, new RegExp(`^ {2}${command}\\b`, 'm'), `${command} listed`)
  })

  it('a malformed argument should exit 2 and a missing input file 3', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    assert.match(
      (await expectExit(ws, ['--set', 'foo', 'config', 'print'], 2)).stderr,
      /--set expects key=value/,
    )
    assert.match(
      (await expectExit(ws, ['search', 'x', '--k', '0'], 2)).stderr,
      /--k must be an integer/,
    )
    assert.match(
      (await expectExit(ws, ['submit', 'missing.jsonl'], 3)).stderr,
      /cannot read missing\.jsonl/,
    )
  })

  it('an unknown option should exit 2', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const result = await expectExit(ws, ['--no-such-option'], 2)
    assert.match(result.stderr, /unknown option '--no-such-option'/)
  })
})
