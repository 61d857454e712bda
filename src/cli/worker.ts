import type { Command } from 'commander'
import { runWorker } from '../main.ts'
import { commandContext } from './context.ts'
import { packageVersion } from './package-root.ts'
import { statsJson, statsText } from './summary.ts'

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'process tasks until stopped (SIGTERM/SIGINT drain, SIGHUP reloads); serves /health, /ready, /metrics',
    )
    .option('--exit-when-idle', 'drain the queue, then exit 0')
    .action(async (opts: { exitWhenIdle?: boolean }, command: Command) => {
      const ctx = await commandContext(command)
      try {
        const stats = await runWorker(ctx, {
          untilIdle: opts.exitWhenIdle === true,
          heartbeat: true,
          reload: ctx.reloadConfig,
          serve: { version: packageVersion() },
        })
        ctx.print(statsJson(stats), () => statsText(stats))
      } finally {
        await ctx.resources.close()
      }
    })
}
