/**
 * `vectorize worker` as a user runs it: its HTTP endpoints, the inference watchdog (acceptance 4)
 * and a SIGHUP reload of the YAML without a restart (acceptance 5).
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createWorkspace, describeRun, type Background, type Workspace } from '../../helpers/cli.ts'
import { waitUntil } from '../../helpers/wait.ts'

/** The worker's JSON log lines so far (stderr), parsed. */
function logLines(bg: Background): () => Record<string, unknown>[] {
  let text = ''
  bg.child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')))
  return () =>
    text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
}

async function listening(bg: Background, logs: () => Record<string, unknown>[]): Promise<string> {
  let url: string | undefined
  await waitUntil(
    () => 'the worker to log its HTTP address',
    () => (url = logs().find((l) => typeof l.url === 'string')?.url as string) !== undefined,
    { timeoutMs: 60_000, check: () => assert.equal(bg.child.exitCode, null, 'worker exited') },
  )
  return url!
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url)
  return { status: res.status, body: await res.text() }
}

/** A gauge or counter read straight off the exposition (this test needs no parser). */
async function metric(url: string, series: string): Promise<number | undefined> {
  const { body } = await get(`${url}/metrics`)
  const line = body.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

async function submit(ws: Workspace, taskId: string): Promise<void> {
  const file = join(ws.dir, `${taskId}.jsonl`)
  await writeFile(
    file,
    `${JSON.stringify({ task_id: taskId, type: 'text', text: 'hello tides' })}\n`,
  )
  const result = await ws.run(['submit', file])
  assert.equal(result.code, 0, describeRun(['submit', file], result))
}

async function waitReady(url: string): Promise<void> {
  await waitUntil(
    () => '/ready to answer 200',
    async () => (await get(`${url}/ready`)).status === 200,
    {
      timeoutMs: 60_000,
    },
  )
}

describe('vectorize worker over HTTP', () => {
  it('should turn /health red when inference hangs longer than worker.watchdog_ms', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const bg = ws.start(['worker'], {
      env: { VECTORIZE_TEST_HOOK_HANG_INFERENCE: '1', VECTORIZE_WORKER_WORKER_WATCHDOG_MS: '1500' },
    })
    const logs = logLines(bg)
    const url = await listening(bg, logs)
    await waitReady(url)
    assert.equal((await get(`${url}/health`)).status, 200, 'healthy before any work')

    await submit(ws, 'hangs-1')
    let last = { status: 0, body: '' }
    await waitUntil(
      () => `/health to fail; last answer ${last.status} ${last.body}`,
      async () => (last = await get(`${url}/health`)).status === 503,
      { timeoutMs: 60_000 },
    )
    const body = JSON.parse(last.body) as { status: string; reason: string; stalled_ms: number }
    assert.equal(body.status, 'failing')
    assert.match(body.reason, /inference made no progress .* \(worker\.watchdog_ms: 1500\)/)
    assert.ok(body.stalled_ms > 1500, `stalled ${body.stalled_ms} ms`)
    assert.equal(await metric(url, 'vectorize_inference_pending'), 1)
  })

  it('should apply a new log level and concurrency on SIGHUP without restarting', async (t) => {
    const ws = await createWorkspace((fn) => t.after(fn))
    const yaml = join(ws.dir, 'worker.yaml')
    const write = (level: string, concurrency: number, extra = '') =>
      writeFile(
        yaml,
        `worker:\n  log_level: ${level}\nprocessing:\n  max_concurrent_tasks: ${concurrency}\n${extra}`,
      )
    await write('info', 2)
    const bg = ws.start(['--config', yaml, 'worker'])
    const logs = logLines(bg)
    const url = await listening(bg, logs)
    await waitReady(url)
    const succeeded = 'vectorize_tasks_total{type="text",outcome="succeeded"}'
    assert.equal(await metric(url, 'vectorize_tasks_max_concurrent'), 2)

    await submit(ws, 'before-1')
    await waitUntil(
      () => 'before-1 to succeed',
      async () => (await metric(url, succeeded)) === 1,
      {
        timeoutMs: 60_000,
      },
    )
    assert.ok(
      !logs().some((l) => l.task_id === 'before-1' && l.msg === 'task succeeded'),
      'debug lines at info level',
    )

    // 1. a valid edit: two live settings and one that needs a restart
    await write('debug', 7, 'models:\n  max_loaded: 2\n')
    bg.child.kill('SIGHUP')
    await waitUntil(
      () => 'the reload to be logged',
      () => logs().some((l) => l.applied !== undefined),
      {
        timeoutMs: 30_000,
      },
    )
    const reloaded = logs().find((l) => l.applied !== undefined) as {
      applied: { key: string; to: unknown }[]
      needs_restart: { key: string }[]
    }
    assert.deepEqual(
      reloaded.applied.map((c) => [c.key, c.to]),
      [
        ['worker.log_level', 'debug'],
        ['processing.max_concurrent_tasks', 7],
      ],
    )
    assert.deepEqual(
      reloaded.needs_restart.map((c) => c.key),
      ['models.max_loaded'],
    )
    assert.equal(await metric(url, 'vectorize_tasks_max_concurrent'), 7)
    await submit(ws, 'after-1')
    await waitUntil(
      () => 'a debug line for after-1',
      () =>
        logs().some((l) => l.task_id === 'after-1' && l.msg === 'task succeeded' && l.level === 20),
      { timeoutMs: 60_000 },
    )

    // 2. an invalid edit is refused and the settings in force stay
    await write('debug', 0)
    bg.child.kill('SIGHUP')
    await waitUntil(
      () => 'the refusal to be logged',
      () => logs().some((l) => String(l.msg).startsWith('reload refused')),
      {
        timeoutMs: 30_000,
      },
    )
    const refused = logs().find((l) => String(l.msg).startsWith('reload refused'))!
    assert.match(String(refused.msg), /processing\.max_concurrent_tasks/)
    assert.equal(await metric(url, 'vectorize_tasks_max_concurrent'), 7)

    assert.equal(bg.child.exitCode, null, 'the worker kept running')
    bg.child.kill('SIGTERM')
    const result = await bg.exited
    assert.equal(result.code, 0, describeRun(['worker'], result))
  })
})
