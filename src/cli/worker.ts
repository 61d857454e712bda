import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { runWorker } from '../main.ts'
import { commandContext } from './context.ts'
import { packageRoot } from './package-root.ts'
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
          reload: ctx.reloadConfig,
          serve: { version: packageVersion() },
        })
        ctx.print(statsJson(stats), () => statsText(stats))
      } finally {
        await ctx.resources.close()
      }
    })
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string
  }
  return pkg.version
}
