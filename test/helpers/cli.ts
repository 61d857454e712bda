/**
 * Runs the real `vectorize` CLI as a child process in a throwaway workspace: a temp directory that
 * is the child's cwd and holds its queue and LanceDB, with every other path pointing at the
 * generated test models. The child sees none of the caller's VECTORIZE_WORKER_* variables.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import type { DoublesSpec } from './doubles.ts'
import { repoRoot, testModels } from './models.ts'

export const CLI = join(repoRoot(), 'bin', 'vectorize.js')
/**
 * The same CLI with test doubles put in at its composition root, run from its TypeScript source
 * as the tests are (vectorize-doubles.ts).
 */
const CLI_WITH_DOUBLES = join(repoRoot(), 'test', 'helpers', 'vectorize-doubles.ts')
export const DEFAULT_MODEL = 'vectorize-test/minilm-tiny'

export interface CliResult {
  /** Exit code, or null when a signal ended the process. */
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  /** Extra environment, applied over the workspace's own. */
  readonly env?: Readonly<Record<string, string>>
  /** Kill the child (SIGKILL) and reject after this long; default 60 s. */
  readonly timeoutMs?: number
  /** Run the CLI with these test doubles in it (doubles.ts). */
  readonly doubles?: DoublesSpec
  /** Written to the child's stdin, which is then closed (an empty stdin without it). */
  readonly input?: string
}

/** A child started in the background; its output is collected (and capped) so pipes never fill. */
export interface Background {
  readonly child: ChildProcess
  /** Resolves when the child has exited, with what it printed. */
  readonly exited: Promise<CliResult>
  /** What it has printed so far (capped). */
  output(): { readonly stdout: string; readonly stderr: string }
}

export interface Workspace {
  readonly dir: string
  readonly queueDir: string
  readonly lancedbPath: string
  readonly modelsDir: string
  readonly env: NodeJS.ProcessEnv
  /** Runs `vectorize ARGS` to completion. */
  run(args: readonly string[], options?: RunOptions): Promise<CliResult>
  /** Runs `vectorize --json ARGS`, expects exit 0 and parses stdout. */
  json<T>(args: readonly string[], options?: RunOptions): Promise<T>
  /** Starts `vectorize ARGS` in the background; killed at cleanup if still running. */
  start(args: readonly string[], options?: RunOptions): Background
}

export type Cleanup = (fn: () => Promise<void>) => void

/**
 * Cleanup for resources a suite creates in its `before` hook. Call it in the describe body: an
 * `after` registered from inside a hook belongs to the hook and would run right after it.
 */
export function suiteCleanup(): Cleanup {
  const releases: (() => Promise<void>)[] = []
  after(async () => {
    for (const release of releases.splice(0).reverse()) await release()
  })
  return (fn) => void releases.push(fn)
}

/**
 * Creates a workspace and registers its removal (and the killing of any child still running)
 * with `cleanup`: `(fn) => t.after(fn)` inside a test, `suiteCleanup()` for a suite's `before`.
 */
export async function createWorkspace(cleanup: Cleanup): Promise<Workspace> {
  refuseInFastTier()
  const modelsDir = await testModels()
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-cli-'))
  const children = new Set<ChildProcess>()
  cleanup(async () => {
    await Promise.all([...children].map(killAndWait))
    await rm(dir, { recursive: true, force: true })
  })
  const queueDir = join(dir, 'queue')
  const lancedbPath = join(dir, 'lancedb')
  const env = cliEnv({
    VECTORIZE_WORKER_QUEUE_DIR: queueDir,
    VECTORIZE_WORKER_VECTOR_DATABASES_LANCEDB_PATH: lancedbPath,
    VECTORIZE_WORKER_MODELS_DIR: modelsDir,
    VECTORIZE_WORKER_MODELS_CACHE_DIR: modelsDir,
    VECTORIZE_WORKER_MODELS_DEFAULT: DEFAULT_MODEL,
    VECTORIZE_WORKER_MODELS_ALLOW_REMOTE: 'false',
    VECTORIZE_WORKER_MODELS_THREADS: '1',
    // any free port: workers of concurrent tests (and of other checkouts) never collide on 9464
    VECTORIZE_WORKER_HTTP_PORT: '0',
  })
  const start = (args: readonly string[], options: RunOptions = {}): Background => {
    const doubles = options.doubles && { VECTORIZE_TEST_DOUBLES: JSON.stringify(options.doubles) }
    const bin = doubles ? CLI_WITH_DOUBLES : CLI
    const background = spawnCli(
      bin,
      args,
      dir,
      { ...env, ...options.env, ...doubles },
      options.input,
    )
    children.add(background.child)
    const forget = () => void children.delete(background.child)
    background.exited.then(forget, forget)
    return background
  }
  const run = (args: readonly string[], options: RunOptions = {}) =>
    withTimeout(start(args, options), args, options.timeoutMs ?? 60_000)
  const json = async <T>(args: readonly string[], options: RunOptions = {}): Promise<T> => {
    const result = await run(['--json', ...args], options)
    if (result.code !== 0) throw new Error(describeRun(args, result))
    return JSON.parse(result.stdout) as T
  }
  return { dir, queueDir, lancedbPath, modelsDir, env, run, json, start }
}

/**
 * The real CLI in child processes is the e2e tier's (README: Testing): the fast tier runs without a
 * build, and bin/vectorize.js runs dist/. scripts/run-tests.mjs names the tiers of a run.
 */
function refuseInFastTier(): void {
  if (process.env.VECTORIZE_TEST_TIERS !== 'fast') return
  throw new Error(
    'this test runs the real vectorize CLI in child processes: it belongs in the e2e tier ' +
      '(test/e2e/, mirroring src/), which builds dist/ first (npm run test:e2e)',
  )
}

/** The caller's environment without any VECTORIZE_WORKER_* (nor node:test's marker), plus `own`. */
function cliEnv(own: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(
    ([name]) => !name.startsWith('VECTORIZE_WORKER_') && name !== 'NODE_TEST_CONTEXT',
  )
  return { ...Object.fromEntries(inherited), ...own }
}

const MAX_OUTPUT = 4 * 1024 * 1024

function spawnCli(
  bin: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  input?: string,
): Background {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  child.stdin.end(input) // closed at once: a command that reads stdin sees its end
  const out = { stdout: '', stderr: '' }
  const collect = (key: keyof typeof out) => (chunk: Buffer) => {
    if (out[key].length < MAX_OUTPUT) out[key] += chunk.toString('utf8')
  }
  child.stdout.on('data', collect('stdout'))
  child.stderr.on('data', collect('stderr'))
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => resolve({ code, signal, ...out }))
  })
  return { child, exited, output: () => ({ ...out }) }
}

async function withTimeout(
  background: Background,
  args: readonly string[],
  timeoutMs: number,
): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      background.child.kill('SIGKILL')
      reject(new Error(`vectorize ${args.join(' ')} did not finish within ${timeoutMs} ms`))
    }, timeoutMs)
  })
  try {
    return await Promise.race([background.exited, timedOut])
  } finally {
    clearTimeout(timer)
  }
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  child.kill('SIGKILL')
  await closed
}

/** `vectorize submit FILE`, then `vectorize worker --exit-when-idle`; both must exit 0. */
export async function submitAndDrain(
  ws: Workspace,
  file: string,
  env: Readonly<Record<string, string>>,
): Promise<void> {
  for (const args of [
    ['submit', file],
    ['worker', '--exit-when-idle'],
  ]) {
    const result = await ws.run(args, { env })
    if (result.code !== 0) throw new Error(describeRun(args, result))
  }
}

/** One line for assertion messages: the command, how it ended and what it said. */
export function describeRun(args: readonly string[], result: CliResult): string {
  const ended = result.signal ? `signal ${result.signal}` : `exit ${result.code}`
  return `vectorize ${args.join(' ')}: ${ended}\nstdout: ${tail(result.stdout)}\nstderr: ${tail(result.stderr)}`
}

export function tail(text: string): string {
  return text.length > 2000 ? `…${text.slice(-2000)}` : text
}
