import type { Command } from 'commander'
import { openStore } from '../main.ts'
import { commandContext } from './context.ts'

export function registerCollections(program: Command): void {
  program
    .command('collections')
    .description('collections with their vector counts, dimension, distance and model identity')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = await commandContext(command, { quietLogs: true })
      try {
        const store = await openStore(ctx)
        const all = await store.collections({ signal: AbortSignal.timeout(600_000) })
        ctx.print(all, () => {
          if (all.length === 0) return `no collections yet in the ${store.kind} store`
          const rows = all.map((c) => [
            c.name,
            String(c.count),
            String(c.dimensions),
            c.distance,
            c.model,
          ])
          return table(['collection', 'vectors', 'dims', 'distance', 'model'], rows)
        })
      } finally {
        await ctx.resources.close()
      }
    })
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}
