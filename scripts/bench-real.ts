/**
 * `npm run bench`: vectorize on the real all-MiniLM-L6-v2 (`npm run models:real`) against its
 * ceiling and against sentence-transformers, on the same texts, interleaved, in one run:
 *   - ort-fp32-tN / ort-q8: onnxruntime-node alone, same model file, length-sorted batches of 32,
 *     each thread count from 1 to the cores (the best one is the ceiling);
 *   - e2e-text / e2e-batch64 (fp32) and e2e-text-q8: the embedded pipeline, queue → LanceDB;
 *   - st-bs32 / st-bs64: sentence-transformers `encode`, torch threads = cores, in a pinned venv
 *     made once (scripts/bench/st-venv.ts); skipped, saying why, without Python;
 *   - short (~30 tokens, 2,000 texts) and long (~200 tokens, 300 texts) texts;
 *   - accuracy of fp32 and q8 against the shared reference vectors (min / median cosine).
 * Every row is its own process: wall and CPU time of the measured part (steady state; start-up
 * apart), CPU of the whole process and its peak RSS (scripts/bench/usage-preload.ts), the 1-minute
 * load average before it. A table is printed and the JSON written to .bench/.
 *
 *   npm run bench [-- --quick] [-- --rounds N] [-- --out FILE]   (VECTORIZE_BENCH_QUICK=1 = --quick)
 *   npm run bench -- --only ort-fp32-t2,e2e-text --workload short   (some rows; `accuracy` in
 *   --only keeps the accuracy lines, which a filtered run leaves out)
 * Model folder: VECTORIZE_REAL_MODELS_DIR (default <repo>/models); the sentence-transformers
 * folder: VECTORIZE_MODEL_CACHE (default ~/.cache/vectorize/real-models); shared reference:
 * VECTORIZE_REFERENCE_DIR (default: the first shared/reference beside the checkout or a folder above).
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, homedir, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { packageRoot } from '../src/cli/package-root.ts'
import { intArg } from './bench/args.ts'
import { alignedTable } from './bench/format.ts'
import { load1, machineInfo } from './bench/machine.ts'
import { median } from './bench/measure.ts'
import { prepareModel } from './bench/model.ts'
import type { ChildResult, ChildSpec } from './bench/real-child.ts'
import { sentenceTransformersPython, stScript } from './bench/st-venv.ts'
import { corpusFile, loadTokenizer, longTexts, readCorpus } from './bench/workloads.ts'

const MODEL = 'sentence-transformers/all-MiniLM-L6-v2'
const usage = `usage: npm run bench [-- --quick] [-- --rounds N] [-- --out FILE] [-- --no-python]
                       [-- --only ROW[,ROW…]] [-- --workload short|long]`

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: process.env.VECTORIZE_BENCH_QUICK === '1' },
    rounds: { type: 'string' },
    out: { type: 'string' },
    'no-python': { type: 'boolean', default: false },
    only: { type: 'string' },
    workload: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})
if (args.help) {
  console.log(usage)
  process.exit(0)
}

const only = args.only?.split(',').map((name) => name.trim())
if (args.workload !== undefined && !['short', 'long'].includes(args.workload)) {
  console.error(`bench: --workload must be short or long, not "${args.workload}"\n${usage}`)
  process.exit(64)
}
const root = packageRoot()
const quick = args.quick
const rounds = intArg('rounds', args.rounds ?? (quick ? '1' : '2'), 1, usage)
const cores = availableParallelism()
const modelsRoot = resolve(process.env.VECTORIZE_REAL_MODELS_DIR || join(root, 'models'))
const stFolder = join(
  process.env.VECTORIZE_MODEL_CACHE || join(homedir(), '.cache', 'vectorize', 'real-models'),
  'all-MiniLM-L6-v2',
)
/** VECTORIZE_REFERENCE_DIR, else the first `shared/reference` beside the checkout or above it. */
function findReference(): string | undefined {
  const candidates = [process.env.VECTORIZE_REFERENCE_DIR]
  for (let dir = root; dirname(dir) !== dir; dir = dirname(dir))
    candidates.push(join(dirname(dir), 'shared', 'reference'))
  return candidates
    .filter((d): d is string => !!d)
    .map((d) => join(d, 'all-MiniLM-L6-v2'))
    .find((d) => existsSync(join(d, 'vectors.f32')))
}
const referenceDir = findReference()
const say = (line = '') => process.stdout.write(`${line}\n`)

interface Contender {
  readonly name: string
  /** Node child spec, or a Python command. */
  readonly node?: Omit<ChildSpec, 'texts' | 'modelsRoot' | 'model'>
  readonly python?: (textsFile: string) => readonly string[]
}

interface Sample extends ChildResult {
  readonly round: number
  readonly load1: number
  readonly processCpuMs: number
  readonly maxRssBytes: number
  /** CPU time per thread name (Node processes, Linux), ms. */
  readonly threads?: Readonly<Record<string, number>>
}

interface Usage {
  userMs: number
  systemMs: number
  maxRssBytes: number
  threads: { name: string; cpuMs: number }[]
}

/** Runs one contender in its own process; its last stdout line is its result. */
async function runChild(command: string, argv: readonly string[], env: NodeJS.ProcessEnv) {
  return new Promise<string>((resolvePromise, reject) => {
    const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolvePromise(out.trim().split('\n').at(-1) ?? '')
      else reject(new Error(`${command} ${argv.join(' ')} exited ${code}: ${err.slice(-2000)}`))
    })
  })
}

async function measure(c: Contender, textsFile: string, work: string, round: number) {
  const before = load1()
  if (c.python) {
    const [python, ...argv] = c.python(textsFile)
    const result = JSON.parse(await runChild(python!, argv, process.env)) as ChildResult & {
      processCpuMs: number
      maxRssBytes: number
    }
    return { ...result, round, load1: before }
  }
  const specFile = join(work, `${c.name}.json`)
  const usageFile = join(work, `${c.name}.usage.json`)
  const spec: ChildSpec = { ...c.node!, texts: textsFile, modelsRoot, model: MODEL }
  await writeFile(specFile, JSON.stringify(spec))
  const script = join(root, 'dist', 'scripts', 'bench', 'real-child.js')
  const preload = join(root, 'dist', 'scripts', 'bench', 'usage-preload.js')
  const env = { ...process.env, VECTORIZE_BENCH_USAGE_FILE: usageFile }
  const line = await runChild(process.execPath, ['--import', preload, script, specFile], env)
  const used = JSON.parse(readFileSync(usageFile, 'utf8')) as Usage
  const threads: Record<string, number> = {}
  for (const t of used.threads) threads[t.name] = (threads[t.name] ?? 0) + t.cpuMs
  return {
    ...(JSON.parse(line) as ChildResult),
    round,
    load1: before,
    processCpuMs: used.userMs + used.systemMs,
    maxRssBytes: used.maxRssBytes,
    threads,
  } satisfies Sample
}

/** Short: corpus texts of 20–40 tokens repeated to the count; long: runs of ~200 tokens. */
async function workloads(work: string) {
  const model = await prepareModel(MODEL, modelsRoot, 'fp32')
  const tokenizer = await loadTokenizer(model)
  const corpus = await readCorpus(corpusFile(root))
  const tokensOf = (t: string) => tokenizer.encode(t).length
  const pool = corpus.filter((t) => tokensOf(t) >= 20 && tokensOf(t) <= 40)
  const short = Array.from({ length: quick ? 200 : 2000 }, (_, i) => pool[i % pool.length]!)
  const long = longTexts(corpus, quick ? 30 : 300, 200, tokenizer)
  const out = []
  for (const [name, texts] of [
    ['short', short],
    ['long', long],
  ] as const) {
    const file = join(work, `${name}.json`)
    await writeFile(file, JSON.stringify(texts))
    const meanTokens = texts.reduce((a, t) => a + tokensOf(t), 0) / texts.length
    out.push({ name, file, texts: texts.length, meanTokens })
  }
  return out
}

function contenders(python: string | undefined): Contender[] {
  const threadCounts = quick ? [cores] : Array.from({ length: cores }, (_, i) => i + 1)
  const list: Contender[] = [
    ...threadCounts.map((t) => ({
      name: `ort-fp32-t${t}`,
      node: { role: 'ort' as const, dtype: 'fp32' as const, threads: t, batchSize: 32 },
    })),
    { name: 'ort-q8', node: { role: 'ort', dtype: 'q8', threads: cores, batchSize: 32 } },
    { name: 'e2e-text', node: { role: 'e2e', dtype: 'fp32', kind: 'text' } },
    { name: 'e2e-batch64', node: { role: 'e2e', dtype: 'fp32', kind: 'batch', batchItems: 64 } },
    // one-text tasks with more in flight: the next batch queues while one runs (README)
    {
      name: 'e2e-text-c256',
      node: {
        role: 'e2e',
        dtype: 'fp32',
        kind: 'text',
        settings: { 'processing.max_concurrent_tasks': '256' },
      },
    },
    { name: 'e2e-text-q8', node: { role: 'e2e', dtype: 'q8', kind: 'text' } },
  ]
  if (python) {
    for (const bs of [32, 64]) {
      list.push({
        name: `st-bs${bs}`,
        python: (texts) => [python, stScript(), stFolder, texts, String(bs), String(cores)],
      })
    }
  }
  return list
}

/** The rows `--only` names; a name that is no row stops the run, listing the rows there are. */
function pick(list: readonly Contender[]): readonly Contender[] {
  if (!only) return list
  const names = [...list.map((c) => c.name), 'accuracy']
  const unknown = only.filter((n) => !names.includes(n))
  if (unknown.length > 0) {
    console.error(`bench: --only names no row: ${unknown.join(', ')}; rows: ${names.join(', ')}`)
    process.exit(64)
  }
  return list.filter((c) => only.includes(c.name))
}

async function pythonSide(): Promise<{ python?: string; skip?: string }> {
  if (args['no-python']) return { skip: '--no-python' }
  if (only && !only.some((n) => n.startsWith('st-'))) return { skip: 'no st- row in --only' }
  if (!existsSync(join(stFolder, 'model.safetensors')))
    return { skip: `no sentence-transformers folder at ${stFolder} (npm run models:real)` }
  const made = await sentenceTransformersPython(say)
  return 'python' in made ? { python: made.python } : { skip: made.skip }
}

interface Summary {
  readonly workload: string
  readonly name: string
  readonly texts: number
  readonly textsPerSec: number
  readonly textsPerCpuSec: number
  readonly startMs: number
  readonly processCpuS: number
  readonly peakRssMiB: number
  readonly load1: readonly number[]
  vsCeilingWall?: number
  vsCeilingCpu?: number
  vsStWall?: number
  vsStCpu?: number
}

function summarize(workload: string, texts: number, name: string, samples: readonly Sample[]) {
  return {
    workload,
    name,
    texts,
    textsPerSec: median(samples.map((s) => (texts / s.wallMs) * 1000)),
    textsPerCpuSec: median(samples.map((s) => (texts / s.cpuMs) * 1000)),
    startMs: median(samples.map((s) => s.startMs)),
    processCpuS: median(samples.map((s) => s.processCpuMs / 1000)),
    peakRssMiB: Math.max(...samples.map((s) => s.maxRssBytes / 2 ** 20)),
    load1: samples.map((s) => s.load1),
  } satisfies Summary
}

function ratios(rows: Summary[]): void {
  const ceilings = rows.filter((r) => r.name.startsWith('ort-fp32'))
  const ceiling = ceilings.sort((a, b) => b.textsPerSec - a.textsPerSec)[0]
  const st = rows.find((r) => r.name === 'st-bs32')
  for (const r of rows) {
    if (ceiling) r.vsCeilingWall = r.textsPerSec / ceiling.textsPerSec
    if (ceiling) r.vsCeilingCpu = r.textsPerCpuSec / ceiling.textsPerCpuSec
    if (st) r.vsStWall = r.textsPerSec / st.textsPerSec
    if (st) r.vsStCpu = r.textsPerCpuSec / st.textsPerCpuSec
  }
}

const f = (v: number | undefined, digits = 2) => (v === undefined ? '–' : v.toFixed(digits))

function table(rows: readonly Summary[]): string {
  const head = [
    'texts',
    'row',
    'texts/s',
    'texts/CPU-s',
    '×ceil wall',
    '×ceil CPU',
    '×st32 wall',
    '×st32 CPU',
    'start ms',
    'proc CPU-s',
    'peak RSS MiB',
    'load1',
  ]
  const lines = rows.map((r) => [
    r.workload,
    r.name,
    f(r.textsPerSec, 1),
    f(r.textsPerCpuSec, 1),
    f(r.vsCeilingWall),
    f(r.vsCeilingCpu),
    f(r.vsStWall),
    f(r.vsStCpu),
    f(r.startMs, 0),
    f(r.processCpuS, 1),
    f(r.peakRssMiB, 0),
    r.load1.map((l) => l.toFixed(1)).join('/'),
  ])
  return alignedTable(head, lines, { rule: false })
}

async function main(): Promise<void> {
  if (!existsSync(join(modelsRoot, MODEL, 'onnx', 'model.onnx'))) {
    console.error(`bench: ${MODEL} is not in ${modelsRoot}; get it with \`npm run models:real\``)
    process.exit(69)
  }
  const machine = machineInfo()
  say(`machine: ${machine.cpu}, ${cores} cores, ${machine.memGiB} GiB, node ${machine.node}`)
  say(
    `load average at start: ${load1()}${quick ? ' — quick mode (smoke test, figures mean little)' : ''}`,
  )
  const work = await mkdtemp(join(tmpdir(), 'vectorize-bench-real-'))
  try {
    const side = await pythonSide()
    if (side.skip) say(`sentence-transformers column skipped: ${side.skip}`)
    const loads = (await workloads(work)).filter((w) => (args.workload ?? w.name) === w.name)
    const list = pick(contenders(side.python))
    const samples = new Map<string, Sample[]>()
    for (let round = 0; round < rounds; round++) {
      for (const w of loads) {
        // rotate the order each round so no contender always runs first or last
        const order = list.map((_, i) => list[(i + round) % list.length]!)
        for (const c of order) {
          const s = await measure(c, w.file, work, round)
          const key = `${w.name}/${c.name}`
          samples.set(key, [...(samples.get(key) ?? []), s])
          say(
            `round ${round + 1} ${key}: ${((w.texts / s.wallMs) * 1000).toFixed(1)} texts/s (load ${s.load1})`,
          )
        }
      }
    }
    const rows: Summary[] = []
    for (const w of loads) {
      const part = list.map((c) =>
        summarize(w.name, w.texts, c.name, samples.get(`${w.name}/${c.name}`)!),
      )
      ratios(part)
      rows.push(...part)
    }
    const accuracy: Record<string, ChildResult['cosine'] & { textsPerSec: number }> = {}
    if (referenceDir && (!only || only.includes('accuracy'))) {
      for (const dtype of ['fp32', 'q8'] as const) {
        const c: Contender = { name: `accuracy-${dtype}`, node: { role: 'accuracy', dtype } }
        const s = await measure(c, referenceDir, work, 0)
        accuracy[dtype] = { ...s.cosine!, textsPerSec: (s.cosine!.count / s.wallMs) * 1000 }
      }
    }
    say()
    say(table(rows))
    say()
    for (const [dtype, a] of Object.entries(accuracy))
      say(
        `${dtype}: cosine to sentence-transformers over ${a.count} reference texts: min ${a.min.toFixed(5)}, median ${a.median.toFixed(5)} (one Embedder call, ${a.textsPerSec.toFixed(1)} texts/s)`,
      )
    if (!referenceDir) say('accuracy skipped: no shared reference (set VECTORIZE_REFERENCE_DIR)')
    for (const w of loads)
      say(`${w.name}: ${w.texts} texts, mean ${w.meanTokens.toFixed(1)} tokens`)
    const file = resolve(
      args.out ??
        join(root, '.bench', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
    )
    await mkdir(dirname(file), { recursive: true })
    const json = {
      machine,
      quick,
      rounds,
      workloads: loads,
      rows,
      accuracy,
      python: side,
      samples: Object.fromEntries(samples),
    }
    await writeFile(file, JSON.stringify(json, null, 2))
    say(`JSON: ${file}`)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

await main()
