/**
 * Content throughput through the real embedded pipeline (issue 5; figures, never asserted): images/s
 * and document pages/s. Inputs are generated from a seed into a temp dir (PNG and JPEG at a few
 * sizes; the same P pages of corpus text as one PDF, one DOCX, and Markdown and HTML files), then
 * each workload runs end to end — local queue → worker built by main.ts → LanceDB → reports, until
 * idle — as path tasks under `content.allowed_roots`. Side by side in the same run: the image
 * decoder alone and each document parser alone on the same files, to show where the time goes.
 *
 *   npm run build && npm run models:generate && npm run bench:content -- [--images N] [--pages P]
 * Worker settings come from VECTORIZE_WORKER_* as for the worker.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { packageRoot } from '../src/cli/package-root.ts'
import { intArg } from './bench/args.ts'
import { decodeImage } from '../src/content/images.ts'
import type { DocumentFormat } from '../src/documents/document.ts'
import { parsers } from '../src/documents/index.ts'
import { createLogger } from '../src/observability/logger.ts'
import {
  html,
  makeDocx,
  makeImages,
  makePages,
  makePdf,
  markdown,
  type ImageInput,
  type InputFile,
} from './bench/content-inputs.ts'
import { COLLECTION, benchConfig, endToEnd, type EndToEndResult } from './bench/end-to-end.ts'
import { alignedTable, compact, n } from './bench/format.ts'
import { load1, machineInfo } from './bench/machine.ts'
import { median } from './bench/measure.ts'
import { corpusFile, readCorpus } from './bench/workloads.ts'

const usage = `usage: node dist/scripts/bench-content.js [options]
  --images N         images in all, sizes and PNG/JPEG taken in turn (default 200; 0 = none)
  --sizes LIST       square image sizes in pixels (default 64,512,1024)
  --pages P          pages of text in every document workload (default 200; 0 = none)
  --words W          words per page (default 350)
  --files F          Markdown and HTML files the pages are spread over (default 20)
  --formats LIST     document workloads (default pdf,docx,md,html)
  --passes K         passes of the parser/decoder alone; the median is shown (default 3)
  --seed S           input seed (default 1)
  --image-model ID   (default vectorize-test/clip-tiny)
  --text-model ID    (default vectorize-test/minilm-tiny)
  --models-dir DIR   where models are (default fixtures/models)
  --keep             keep the generated inputs (their directory is printed)`

const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '200' },
    sizes: { type: 'string', default: '64,512,1024' },
    pages: { type: 'string', default: '200' },
    words: { type: 'string', default: '350' },
    files: { type: 'string', default: '20' },
    formats: { type: 'string', default: 'pdf,docx,md,html' },
    passes: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    'image-model': { type: 'string', default: 'vectorize-test/clip-tiny' },
    'text-model': { type: 'string', default: 'vectorize-test/minilm-tiny' },
    'models-dir': { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
})

if (args.help) {
  console.log(usage)
  process.exit(0)
}

const int = (name: string, raw: string | undefined, min: number) => intArg(name, raw, min, usage)

const DOC_FORMATS = ['pdf', 'docx', 'md', 'html'] as const
type DocFormat = (typeof DOC_FORMATS)[number]

const root = packageRoot()
const settings = {
  images: int('images', args.images, 0),
  sizes: args.sizes.split(',').map((s) => int('sizes', s.trim(), 1)),
  pages: int('pages', args.pages, 0),
  words: int('words', args.words, 1),
  files: int('files', args.files, 1),
  formats: args.formats.split(',').map((f) => f.trim()),
  passes: int('passes', args.passes, 1),
  seed: int('seed', args.seed, 0),
  modelsRoot: resolve(args['models-dir'] ?? join(root, 'fixtures', 'models')),
}
const unknown = settings.formats.filter((f) => !(DOC_FORMATS as readonly string[]).includes(f))
if (unknown.length > 0) {
  console.error(`unknown format(s) ${unknown.join(', ')}\n\n${usage}`)
  process.exit(2)
}

const logger = createLogger({ level: 'warn' })
const say = (line = '') => process.stdout.write(line + '\n')

/** One table row: a workload run end to end, and the same inputs through the parser/decoder alone. */
interface ContentRow {
  readonly workload: string
  readonly unit: 'images' | 'pages'
  readonly items: number
  readonly files: number
  readonly bytes: number
  readonly e2e: EndToEndResult
  /** Median ms of the decoder (images) or parser (documents) alone over every file. */
  readonly aloneMs: number
}

async function timeAlone(pass: () => Promise<void>): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < settings.passes; i++) {
    const t0 = performance.now()
    await pass()
    times.push(performance.now() - t0)
  }
  return median(times)
}

async function imageRows(dir: string, images: readonly ImageInput[]): Promise<ContentRow[]> {
  const paths = { modelsRoot: settings.modelsRoot, model: args['image-model'] }
  const config = await benchConfig(paths)
  const extra = [{ key: 'content.allowed_roots', raw: dir, flag: '(bench) allowed_roots' }]
  const rows: ContentRow[] = []
  for (const size of settings.sizes) {
    const group = images.filter((i) => i.size === size)
    if (group.length === 0) continue
    const messages = group.map((image, k) =>
      encode({ version: 1, task_id: `i${k}`, type: 'image', image: { path: image.path } }),
    )
    const e2e = await endToEnd(paths, messages, group.length, logger, { extra })
    const aloneMs = await timeAlone(async () => {
      for (const image of group) {
        await decodeImage(await readFile(image.path), config.content.max_image_pixels, image.path)
      }
    })
    const bytes = group.reduce((sum, i) => sum + i.bytes, 0)
    const row = { workload: `image ${size}²`, unit: 'images' as const, items: group.length }
    rows.push({ ...row, files: group.length, bytes, e2e, aloneMs })
    progress(rows.at(-1)!)
  }
  return rows
}

async function documentInputs(dir: string, pages: readonly string[]) {
  const inputs = new Map<DocFormat, InputFile[]>()
  const write = async (name: string, data: Buffer | string): Promise<InputFile> => {
    const path = join(dir, name)
    await writeFile(path, data)
    return { path, bytes: Buffer.byteLength(data) }
  }
  const per = Math.ceil(pages.length / settings.files)
  const spread = async (ext: 'md' | 'html', render: typeof markdown) => {
    const files: InputFile[] = []
    for (let first = 0; first < pages.length; first += per) {
      const name = `doc-${String(first).padStart(5, '0')}.${ext}`
      files.push(await write(name, render(pages.slice(first, first + per), first)))
    }
    return files
  }
  for (const format of settings.formats as DocFormat[]) {
    if (format === 'pdf') inputs.set(format, [await write('doc.pdf', await makePdf(pages))])
    if (format === 'docx') inputs.set(format, [await write('doc.docx', await makeDocx(pages))])
    if (format === 'md') inputs.set(format, await spread('md', markdown))
    if (format === 'html') inputs.set(format, await spread('html', html))
  }
  return inputs
}

async function documentRows(dir: string, pages: readonly string[]): Promise<ContentRow[]> {
  const paths = { modelsRoot: settings.modelsRoot, model: args['text-model'] }
  const config = await benchConfig(paths)
  const extra = [{ key: 'content.allowed_roots', raw: dir, flag: '(bench) allowed_roots' }]
  const rows: ContentRow[] = []
  for (const [format, files] of await documentInputs(dir, pages)) {
    const messages = files.map((file, k) =>
      encode({
        version: 1,
        task_id: `d${k}`,
        type: 'document',
        document: { id: `doc${k}`, path: file.path, format },
      }),
    )
    const e2e = await endToEnd(paths, messages, undefined, logger, { extra })
    const aloneMs = await timeAlone(async () => {
      for (const file of files) {
        const bytes = await readFile(file.path)
        const signal = AbortSignal.timeout(600_000)
        const limits = {
          ...config.content,
          max_metadata_bytes: config.processing.max_metadata_bytes,
        }
        const input = { bytes, origin: file.path, limits, signal }
        await parsers[format as DocumentFormat].parse(input)
      }
    })
    const bytes = files.reduce((sum, f) => sum + f.bytes, 0)
    const row = { workload: `document ${format}`, unit: 'pages' as const, items: pages.length }
    rows.push({ ...row, files: files.length, bytes, e2e, aloneMs })
    progress(rows.at(-1)!)
  }
  return rows
}

function encode(value: Record<string, unknown>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ collection: COLLECTION, ...value }))
}

function progress(row: ContentRow): void {
  const s = row.e2e.activeMs / 1000
  say(
    `  ${row.workload}: ${compact(row.items / s)} ${row.unit}/s (${row.items} in ${s.toFixed(2)} s)`,
  )
}

function renderTable(rows: readonly ContentRow[]): string {
  const header = [
    'workload',
    'tasks',
    'items',
    'MB',
    'active s',
    'items/s',
    'chunks/s',
    'MB/s',
    'p50 ms',
    'p95 ms',
    'cores',
    'alone s',
    'alone %',
  ]
  const lines = rows.map((row) => {
    const s = row.e2e.activeMs / 1000
    const mb = row.bytes / 1e6
    return [
      row.workload,
      n(row.e2e.tasks),
      `${n(row.items)} ${row.unit === 'images' ? 'img' : 'pg'}`,
      mb.toFixed(2),
      s.toFixed(2),
      compact(row.items / s),
      compact(row.e2e.stored / s),
      (mb / s).toFixed(2),
      row.e2e.p50TaskMs.toFixed(0),
      row.e2e.p95TaskMs.toFixed(0),
      (row.e2e.cpuMs / row.e2e.runMs).toFixed(2),
      (row.aloneMs / 1000).toFixed(2),
      `${((100 * row.aloneMs) / row.e2e.activeMs).toFixed(0)}%`,
    ]
  })
  return alignedTable(header, lines, { leftColumns: 1 })
}

async function main(): Promise<void> {
  const started = performance.now()
  const machine = machineInfo()
  const loadStart = load1()
  const dir = await mkdtemp(join(tmpdir(), 'vectorize-bench-content-'))
  say(`vectorize content benchmark — ${new Date().toISOString()}`)
  say(
    `machine  ${machine.cpu}, ${machine.cores} cores (${machine.cpuFlags}), ${machine.memGiB} GiB, ` +
      `node ${machine.node}, onnxruntime-node ${machine.onnxruntimeNode}, load ${loadStart}`,
  )
  say(
    `models   images ${args['image-model']}, documents ${args['text-model']}; seed ${settings.seed}; ` +
      `inputs in ${dir}`,
  )
  try {
    const t0 = performance.now()
    const images = await makeImages(dir, settings.images, settings.sizes, settings.seed)
    const corpus = await readCorpus(corpusFile(root))
    const pages = makePages(corpus, settings.pages, settings.words, settings.seed)
    say(
      `inputs   ${n(images.length)} images (${settings.sizes.join('², ')}², PNG and JPEG), ` +
        `${n(pages.length)} pages of ~${settings.words} words per document workload; ` +
        `generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    )
    say()
    const rows = [
      ...(images.length > 0 ? await imageRows(dir, images) : []),
      ...(pages.length > 0 && settings.formats.length > 0 ? await documentRows(dir, pages) : []),
    ]
    report(rows, machine, loadStart, started)
  } finally {
    if (args.keep) say(`inputs kept in ${dir}`)
    else await rm(dir, { recursive: true, force: true })
  }
}

function report(
  rows: readonly ContentRow[],
  machine: ReturnType<typeof machineInfo>,
  loadStart: number,
  started: number,
): void {
  const loadEnd = load1()
  say()
  say(renderTable(rows))
  say()
  say(
    'items/s, chunks/s (vectors stored), MB/s (input files): over the active time, first task ' +
      'started → last finished. p50/p95: task latency as the worker reports it. cores: CPU time / run ' +
      'time. alone: the decoder (images) or parser (documents) by itself on the same files, median ' +
      `of ${settings.passes}; alone %: its share of the active time (the rest is embed + store + queue).`,
  )
  for (const row of rows) {
    const r = row.e2e
    const m = r.meanTaskMs
    say(
      `${row.workload}: run ${(r.runMs / 1000).toFixed(2)} s (rest is idle detection), worker start ` +
        `${r.startMs.toFixed(0)} ms; per task mean: inference ${m.inference.toFixed(1)} ms, store ` +
        `${m.store.toFixed(1)} ms, total ${m.total.toFixed(1)} ms; ${n(r.stored)} vectors stored`,
    )
  }
  const elapsed = (performance.now() - started) / 1000
  say(`load average ${loadStart} → ${loadEnd}; total ${elapsed.toFixed(0)} s`)
  const json = {
    bench: 'content',
    at: new Date().toISOString(),
    machine,
    load1: [loadStart, loadEnd],
    settings: { ...settings, imageModel: args['image-model'], textModel: args['text-model'] },
    rows: rows.map((row) => ({
      workload: row.workload,
      unit: row.unit,
      items: row.items,
      tasks: row.e2e.tasks,
      bytes: row.bytes,
      activeMs: Math.round(row.e2e.activeMs),
      runMs: Math.round(row.e2e.runMs),
      itemsPerSec: Number(((row.items * 1000) / row.e2e.activeMs).toFixed(2)),
      vectors: row.e2e.stored,
      p50TaskMs: Math.round(row.e2e.p50TaskMs),
      p95TaskMs: Math.round(row.e2e.p95TaskMs),
      aloneMs: Math.round(row.aloneMs),
    })),
    elapsedS: Math.round(elapsed),
  }
  say(`JSON ${JSON.stringify(json)}`)
}

await main()
