import type { Command } from 'commander'
import { openModels } from '../main.ts'
import { catalog } from '../models/catalog.ts'
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
}
