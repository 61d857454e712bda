import type { Command } from 'commander'
import { openModels } from '../main.ts'
import { catalog, lookupModel } from '../models/catalog.ts'
import { importDtypes, importModel, type ImportDtype } from '../models/import/index.ts'
import { VectorizeError } from '../worker/errors.ts'
import { basename, resolve } from 'node:path'
import { commandContext } from './context.ts'
import { table } from './collections.ts'

export function registerModels(program: Command): void {
  const models = program.command('models').description('the models this worker knows and has')
  models
    .command('list')
    .description('model names you can use, and whether each is on this machine')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = await commandContext(command, { quietLogs: true })
      const manager = openModels(ctx)
      const rows = catalog.map((entry) => {
        const found = manager.locate(entry.name).found
        return { name: entry.name, family: entry.family, local: found?.dir ?? null }
      })
      await ctx.resources.close()
      ctx.print(rows, () =>
        table(
          ['model', 'family', 'on this machine'],
          rows.map((r) => [r.name, r.family, r.local ?? '-']),
        ),
      )
    })
  models
    .command('pull')
    .argument('[name]', 'model to download (default: models.default)')
    .description('download a model from the Hugging Face hub into models.cache_dir (needs network)')
    .action(async (name: string | undefined, _opts: unknown, command: Command) => {
      const ctx = await commandContext(command, {
        quietLogs: true,
        overrides: [{ key: 'models.allow_remote', raw: 'true', flag: 'models pull' }],
      })
      try {
        const embedder = await openModels(ctx).get(name, { signal: AbortSignal.timeout(3_600_000) })
        ctx.print(
          embedder.info,
          () =>
            `${embedder.info.identity}: ${embedder.info.dimensions} dimensions, from ${embedder.info.location}`,
        )
      } finally {
        await ctx.resources.close()
      }
    })
  models
    .command('import')
    .argument(
      '<dir>',
      'a sentence-transformers folder: model.safetensors, config.json, tokenizer.json…',
    )
    .option(
      '--name <name>',
      'model id to serve it as (default: the catalog name of the folder, else its name)',
    )
    .option(
      '--dtype <list>',
      `ONNX files to write, comma-separated: ${importDtypes.join(', ')}`,
      'fp32',
    )
    .description('convert a sentence-transformers folder into models.dir (no Python needed)')
    .action(async (dir: string, opts: { name?: string; dtype: string }, command: Command) => {
      const ctx = await commandContext(command, { quietLogs: true })
      const name = opts.name ?? defaultName(dir)
      const started = performance.now()
      const imported = await importModel(dir, {
        modelsDir: resolve(ctx.config.models.dir),
        name,
        dtypes: parseDtypes(opts.dtype),
      })
      const seconds = ((performance.now() - started) / 1000).toFixed(1)
      ctx.print(imported, () =>
        [
          `${imported.status} ${imported.name} (${imported.modelType}) → ${imported.dir} in ${seconds} s`,
          ...imported.files.map((f) => `  ${f.path.padEnd(36)} ${f.bytes} bytes`),
        ].join('\n'),
      )
    })
}

/** `…/all-mpnet-base-v2` → the catalog's `sentence-transformers/all-mpnet-base-v2`, else the folder name. */
function defaultName(dir: string): string {
  const folder = basename(resolve(dir))
  return lookupModel(folder)?.name ?? folder
}

function parseDtypes(list: string): ImportDtype[] {
  const dtypes = list.split(',').map((d) => d.trim())
  for (const d of dtypes)
    if (!(importDtypes as readonly string[]).includes(d))
      throw new VectorizeError(
        'invalid_argument',
        `--dtype ${d}: models import writes ${importDtypes.join(' or ')}`,
      )
  return dtypes as ImportDtype[]
}
