/**
 * Embedding throughput, measured side by side in one run (SPEC §6; never asserted in tests):
 *   1. the ceiling: onnxruntime-node alone, same model file, pre-tokenized, token-budgeted batches;
 *   2. the Embedder: one big call, and many small concurrent calls (a stream of text tasks);
 *   3. end to end: local queue → worker → LanceDB → reports, text tasks and batch tasks.
 * Figures are tokens/s and texts/s (tasks/s end to end) and their ratio to the ceiling.
 *
 *   npx tsc -p tsconfig.build.json && node dist/scripts/bench-embed.js [--model ID] [--texts N]
 *     [--seconds S] [--long N] [--phases ceiling,embedder,e2e] [--threads T] [--in-flight K]
 * Worker settings come from VECTORIZE_WORKER_* as for the worker (e.g. ..._PROCESSING_MAX_BATCH_TOKENS).
 * `--model vectorize-bench/minilm-l6-shape` generates an encoder with all-MiniLM-L6-v2's shape.
 * Profile: node --cpu-prof --cpu-prof-dir=prof dist/scripts/bench-embed.js (threads included).
 */
import { spawnSync } from 'node:child_process'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { packageRoot } from '../src/cli/package-root.ts'
import { intArg } from './bench/args.ts'
import { createLogger } from '../src/observability/logger.ts'
import { bigCall, openEmbedder, smallCalls } from './bench/embedder.ts'
import { ortCeiling } from './bench/ceiling.ts'
import { benchConfig, endToEnd, taskMessages, type EndToEndResult } from './bench/end-to-end.ts'
import { compact, n, table } from './bench/format.ts'
import { load1, machineInfo } from './bench/machine.ts'
import { rates, type Row } from './bench/measure.ts'
import { encoderFlopsPerToken, prepareModel } from './bench/model.ts'
import {
  corpusFile,
  loadTokenizer,
  longTexts,
  maxTokensOf,
  plan,
  readCorpus,
  shortTexts,
  tokenize,
  type Plan,
  type Workload,
  windowedPaddingRatio,
} from './bench/workloads.ts'

const usage = `usage: node dist/scripts/bench-embed.js [options]
  --model ID         model id under --models-dir (default vectorize-test/minilm-tiny;
                     vectorize-bench/minilm-l6-shape = generated, all-MiniLM-L6-v2's shape)
  --models-dir DIR   where models are (default fixtures/models)
  --texts N          short texts: the sample corpus repeated to N (default 4000)
  --long N           long texts of about --long-tokens tokens (default texts / 4; 0 = none)
  --long-tokens T    target length of long texts, special tokens included (default 120)
  --seconds S        time per measurement: passes repeat until S seconds (default 3)
  --passes P         at most P passes per measurement (default 5)
  --threads T        ONNX Runtime intra-op threads for every row (default: models.threads,
                     0 = ORT's default in the worker and os.availableParallelism() for the ceiling)
  --in-flight K      concurrent small Embedder calls (default 64)
  --per-call C       texts per small call (default 1)
  --batch-items B    items per batch task end to end (default 64)
  --phases LIST      ceiling,embedder,e2e (default all three)`

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'vectorize-test/minilm-tiny' },
    'models-dir': { type: 'string' },
    texts: { type: 'string', default: '4000' },
    long: { type: 'string' },
    'long-tokens': { type: 'string', default: '120' },
    seconds: { type: 'string', default: '3' },
    passes: { type: 'string', default: '5' },
    threads: { type: 'string' },
    'in-flight': { type: 'string', default: '64' },
    'per-call': { type: 'string', default: '1' },
    'batch-items': { type: 'string', default: '64' },
    phases: { type: 'string', default: 'ceiling,embedder,e2e' },
    help: { type: 'boolean', default: false },
  },
})

if (args.help) {
  console.log(usage)
  process.exit(0)
}

const int = (name: string, raw: string | undefined, min: number) => intArg(name, raw, min, usage)

const root = packageRoot()
const textCount = int('texts', args.texts, 1)
const settings = {
  model: args.model,
  modelsRoot: resolve(args['models-dir'] ?? join(root, 'fixtures', 'models')),
  texts: textCount,
  long: int('long', args.long ?? String(Math.round(textCount / 4)), 0),
  longTokens: int('long-tokens', args['long-tokens'], 8),
  seconds: Number(args.seconds),
  passes: int('passes', args.passes, 1),
  inFlight: int('in-flight', args['in-flight'], 1),
  perCall: int('per-call', args['per-call'], 1),
  batchItems: int('batch-items', args['batch-items'], 1),
  phases: new Set(args.phases.split(',').map((p) => p.trim())),
}
const knownPhases = ['ceiling', 'embedder', 'e2e']
const unknownPhases = [...settings.phases].filter((p) => !knownPhases.includes(p))
if (unknownPhases.length > 0) {
  console.error(`unknown phase(s) ${unknownPhases.join(', ')}\n\n${usage}`)
  process.exit(2)
}
if (!(settings.seconds >= 0)) {
  console.error(`--seconds must be a number ≥ 0\n\n${usage}`)
  process.exit(2)
}

const logger = createLogger({ level: 'warn' })
const say = (line = '') => process.stdout.write(line + '\n')

/** Python sentence-transformers needs weights both sides can load; the generated models have none. */
function pythonSide(model: string): string {
  const probe = spawnSync(
    'python3',
    ['-c', 'import importlib.util as u; print(u.find_spec("sentence_transformers") is not None)'],
    { encoding: 'utf8', timeout: 10_000 },
  )
  const installed = probe.status === 0 && probe.stdout.trim() === 'True'
  const why = model.startsWith('vectorize-')
    ? 'no model both sides can load (the generated models are ONNX-only, without PyTorch ' +
      'weights, and the hub is unreachable)'
    : 'this benchmark does not drive Python'
  return `skipped: ${why}; sentence-transformers is ${installed ? '' : 'not '}installed here`
}

async function main(): Promise<void> {
  const started = performance.now()
  const machine = machineInfo()
  const loadStart = load1()
  const threadFlag = args.threads === undefined ? [] : [int('threads', args.threads, 0)]
  const extra = threadFlag.map((t) => ({
    key: 'models.threads',
    raw: String(t),
    flag: '--threads',
  }))
  const paths = { modelsRoot: settings.modelsRoot, model: settings.model }
  const config = await benchConfig(paths, extra)
  const model = await prepareModel(settings.model, settings.modelsRoot, config.models.dtype)
  const budget = config.processing.max_batch_tokens
  const ceilingThreads = config.models.threads > 0 ? config.models.threads : machine.cores

  const tokenizer = await loadTokenizer(model)
  const maxTokens = maxTokensOf(tokenizer, model)
  const padId = tokenizer.pad_token_id ?? 0
  const corpus = await readCorpus(corpusFile(root))
  const workloads: Workload[] = [
    tokenize('short', shortTexts(corpus, settings.texts), tokenizer, maxTokens),
  ]
  if (settings.long > 0) {
    const target = Math.min(settings.longTokens, maxTokens)
    const texts = longTexts(corpus, settings.long, target, tokenizer)
    workloads.push(tokenize('long', texts, tokenizer, maxTokens))
  }
  const plans = new Map<string, Plan>(workloads.map((w) => [w.name, plan(w, budget)]))

  say(`vectorize embedding benchmark — ${new Date().toISOString()}`)
  say(
    `machine  ${machine.cpu}, ${machine.cores} cores (${machine.cpuFlags}), ${machine.memGiB} GiB, ` +
      `node ${machine.node}, onnxruntime-node ${machine.onnxruntimeNode}, transformers.js ${machine.transformersJs}, load ${loadStart}`,
  )
  say(
    `model    ${model.id} (${model.family}, ${model.file}), max ${maxTokens} tokens; ` +
      `budget ${n(budget)} padded tokens/batch, wait ${config.processing.max_batch_wait_ms} ms; ` +
      `threads: ceiling ${ceilingThreads}, worker ${config.models.threads || 'ORT default'}`,
  )
  for (const w of workloads) {
    const p = plans.get(w.name)!
    say(
      `${w.name.padEnd(8)} ${n(w.texts.length)} texts, ${n(w.tokens)} tokens (mean ${(w.tokens / w.texts.length).toFixed(1)}, ` +
        `max ${Math.max(...w.lengths)}, ${w.truncated} truncated); ${p.batches.length} planned batch(es) of ` +
        `${p.meanBatchTexts.toFixed(0)} texts on average; padding (padded/real) ${p.paddingRatio.toFixed(3)}, ` +
        `${windowedPaddingRatio(w, settings.inFlight, budget).toFixed(3)} when ${settings.inFlight} arrive at a time`,
    )
  }
  say()

  const rows: Row[] = []
  const ceilings = new Map<string, number>()
  const e2e: Record<string, EndToEndResult> = {}
  const add = (row: Row) => {
    rows.push(row)
    const r = rates(row)
    say(
      `  ${row.workload} · ${row.name}: ${compact(r.tokensPerSec)} tokens/s, ` +
        `${compact(r.textsPerSec)} texts/s, ${r.cores.toFixed(2)} cores busy (${row.passesMs.length} passes)`,
    )
  }
  const pass = { seconds: settings.seconds, maxPasses: settings.passes }

  if (settings.phases.has('ceiling')) {
    const threadsTried = [...new Set([ceilingThreads, 1])]
    for (const w of workloads) {
      for (const threads of threadsTried) {
        const times = await ortCeiling(model.file, w, plans.get(w.name)!, {
          threads,
          padId,
          ...pass,
        })
        const name = `ORT ceiling, ${threads} thread${threads > 1 ? 's' : ''}`
        const row = { workload: w.name, name, texts: w.texts.length, tokens: w.tokens, ...times }
        if (threads === ceilingThreads) ceilings.set(w.name, rates(row).tokensPerSec)
        add(row)
      }
    }
  }

  let embedderLoadMs: number | undefined
  if (settings.phases.has('embedder')) {
    const opened = await openEmbedder(config, logger)
    embedderLoadMs = opened.loadMs
    if (opened.embedder.info.maxTokens !== maxTokens) {
      say(`  warning: worker max tokens ${opened.embedder.info.maxTokens} ≠ ${maxTokens} here`)
    }
    try {
      for (const w of workloads) {
        const common = { workload: w.name, texts: w.texts.length, tokens: w.tokens }
        add({
          ...common,
          name: `Embedder, 1 call × ${n(w.texts.length)}`,
          ...(await bigCall(opened.embedder, w.texts, pass.seconds, pass.maxPasses)),
        })
        const calls = Math.ceil(w.texts.length / settings.perCall)
        add({
          ...common,
          name: `Embedder, ${n(calls)} calls × ${settings.perCall}, ${settings.inFlight} in flight`,
          ...(await smallCalls(
            opened.embedder,
            w.texts,
            settings.perCall,
            settings.inFlight,
            pass.seconds,
            pass.maxPasses,
          )),
        })
      }
    } finally {
      await opened.models.close()
    }
  }

  if (settings.phases.has('e2e')) {
    for (const w of workloads) {
      for (const kind of ['text', 'batch'] as const) {
        const messages = taskMessages(w.texts, kind, settings.batchItems)
        const result = await endToEnd(paths, messages, w.texts.length, logger)
        const key = `${w.name}/${kind}`
        e2e[key] = result
        if (result.tokens !== w.tokens) {
          say(`  warning: the worker counted ${n(result.tokens)} tokens, expected ${n(w.tokens)}`)
        }
        const name =
          kind === 'text'
            ? `end to end, ${n(messages.length)} text tasks`
            : `end to end, ${n(messages.length)} batch task(s) × ${settings.batchItems}`
        add({
          workload: w.name,
          name,
          texts: w.texts.length,
          tasks: messages.length,
          tokens: w.tokens,
          passesMs: [result.runMs],
          cpuMs: [result.cpuMs],
          extra: { activeMs: Math.round(result.activeMs) },
        })
      }
    }
  }

  const loadEnd = load1()
  const python = pythonSide(model.id)
  say()
  say(table(rows, (row) => ceilings.get(row.workload)))
  say()
  for (const [key, r] of Object.entries(e2e)) {
    const m = r.meanTaskMs
    say(
      `e2e ${key}: ${compact((r.tasks / r.runMs) * 1000)} tasks/s; run ${(r.runMs / 1000).toFixed(2)} s ` +
        `(active ${(r.activeMs / 1000).toFixed(2)} s, rest is idle detection), publish ${r.publishMs.toFixed(0)} ms, ` +
        `worker start ${r.startMs.toFixed(0)} ms; per task mean: inference ${m.inference.toFixed(1)} ms, ` +
        `store ${m.store.toFixed(1)} ms, total ${m.total.toFixed(1)} ms; ${n(r.stored)} vectors stored`,
    )
  }
  for (const w of workloads) {
    const ceiling = ceilings.get(w.name)
    const seq = w.tokens / w.texts.length
    const flops = encoderFlopsPerToken(model.config, seq)
    if (ceiling && flops) {
      say(
        `ceiling ${w.name}: ≈${((ceiling * flops) / 1e9).toFixed(1)} GFLOP/s ` +
          `(${(flops / 1e6).toFixed(2)} MFLOP/token at ${seq.toFixed(0)} tokens)`,
      )
    }
  }
  if (embedderLoadMs !== undefined) say(`embedder model load ${embedderLoadMs.toFixed(0)} ms`)
  say(`python sentence-transformers: ${python}`)
  const elapsed = (performance.now() - started) / 1000
  say(`load average ${loadStart} → ${loadEnd}; total ${elapsed.toFixed(0)} s`)

  const json = {
    bench: 'embed',
    at: new Date().toISOString(),
    machine,
    load1: [loadStart, loadEnd],
    model: { id: model.id, family: model.family, maxTokens, dtype: config.models.dtype },
    settings: {
      maxBatchTokens: budget,
      maxBatchWaitMs: config.processing.max_batch_wait_ms,
      maxConcurrentTasks: config.processing.max_concurrent_tasks,
      ceilingThreads,
      workerThreads: config.models.threads,
      inFlight: settings.inFlight,
      perCall: settings.perCall,
      batchItems: settings.batchItems,
      seconds: settings.seconds,
    },
    workloads: workloads.map((w) => ({
      name: w.name,
      texts: w.texts.length,
      tokens: w.tokens,
      paddingRatio: Number(plans.get(w.name)!.paddingRatio.toFixed(4)),
      windowPaddingRatio: Number(windowedPaddingRatio(w, settings.inFlight, budget).toFixed(4)),
      batches: plans.get(w.name)!.batches.length,
    })),
    rows: rows.map((row) => {
      const r = rates(row)
      const ceiling = ceilings.get(row.workload)
      return {
        workload: row.workload,
        measure: row.name,
        texts: row.texts,
        ...(row.tasks !== undefined && { tasks: row.tasks }),
        tokens: row.tokens,
        medianMs: Math.round(r.ms),
        passes: row.passesMs.length,
        cores: Number(r.cores.toFixed(2)),
        tokensPerSec: Math.round(r.tokensPerSec),
        textsPerSec: Math.round(r.textsPerSec),
        ...(r.tasksPerSec !== undefined && { tasksPerSec: Math.round(r.tasksPerSec) }),
        ...(ceiling && { ratio: Number((r.tokensPerSec / ceiling).toFixed(3)) }),
        ...row.extra,
      }
    }),
    python,
    elapsedS: Math.round(elapsed),
  }
  say(`JSON ${JSON.stringify(json)}`)
}

await main()
