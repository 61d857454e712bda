import type { Command } from 'commander'
import { openModels, openStore, type Deps } from '../main.ts'
import type { Dtype } from '../models/embedder.ts'
import type { CollectionInfo, SearchHit } from '../stores/store.ts'
import { VectorizeError } from '../worker/errors.ts'
import { commandContext } from './context.ts'
import { parseFilter } from './filters.ts'

interface SearchOptions {
  collection?: string
  k: string
  filter: string[]
  model?: string
}

export function registerSearch(program: Command): void {
  program
    .command('search')
    .argument('<text>', 'what to look for')
    .description('semantic search in a collection, with the model its vectors were made with')
    .option('-c, --collection <name>', 'collection (default: processing.default_collection)')
    .option('-k, --k <n>', 'number of results', '5')
    .option(
      '-f, --filter <expr>',
      'metadata condition, repeatable: field=value, field!=v, field>=n …',
      collect,
      [],
    )
    .option('-m, --model <name>', 'embed the query with this model instead of the collection’s')
    .action(async (text: string, opts: SearchOptions, command: Command) => {
      const ctx = await commandContext(command, { quietLogs: true })
      try {
        const hits = await search(ctx, text, opts)
        ctx.print(hits, () => render(hits))
      } finally {
        await ctx.resources.close()
      }
    })
}

const collect = (value: string, previous: string[]) => [...previous, value]

async function search(ctx: Deps, text: string, opts: SearchOptions): Promise<SearchHit[]> {
  const k = Number(opts.k)
  if (!Number.isInteger(k) || k < 1 || k > 1000)
    throw new VectorizeError(
      'invalid_argument',
      `--k must be an integer from 1 to 1000, got ${opts.k}`,
    )
  const filter = opts.filter.map(parseFilter)
  const name = opts.collection ?? ctx.config.processing.default_collection
  const store = await openStore(ctx)
  const signal = AbortSignal.timeout(600_000)
  const info = await findCollection(store.collections({ signal }), name)
  const [model, dtype] = splitIdentity(info.model)
  const config = { ...ctx.config, models: { ...ctx.config.models, dtype: dtype as Dtype } }
  const embedder = await openModels({ ...ctx, config }).get(opts.model ?? model, { signal })
  const [query] = await embedder.embed([text], { signal })
  return store.search(name, { vector: query!.vector, k, filter }, { signal })
}

async function findCollection(
  all: Promise<CollectionInfo[]>,
  name: string,
): Promise<CollectionInfo> {
  const collections = await all
  const info = collections.find((c) => c.name === name)
  if (info) return info
  const known = collections.map((c) => c.name).join(', ') || 'none yet'
  throw new VectorizeError('not_found', `collection ${name} does not exist (collections: ${known})`)
}

/** `name@dtype` → [name, dtype]; names may contain @ themselves, the dtype is after the last. */
function splitIdentity(identity: string): [string, string] {
  const at = identity.lastIndexOf('@')
  return at > 0 ? [identity.slice(0, at), identity.slice(at + 1)] : [identity, 'fp32']
}

function render(hits: readonly SearchHit[]): string {
  if (hits.length === 0) return 'no results'
  const width = Math.max(40, (process.stdout.columns ?? 100) - 30)
  return hits
    .map((h, i) => {
      const text = h.text.replace(/\s+/g, ' ')
      const shown = text.length > width ? text.slice(0, width - 1) + '…' : text
      return `${String(i + 1).padStart(2)}. ${h.score.toFixed(3)}  ${h.documentId}\n    ${shown}`
    })
    .join('\n')
}
