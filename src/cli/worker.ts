import type { Command } from 'commander'
import { runWorker, type PartsDecorator } from '../main.ts'
import { commandContext } from './context.ts'
import { exitCodes } from './exit-codes.ts'
import { packageVersion } from './package-root.ts'
import { statsJson, statsText } from './summary.ts'

/** The composition root's seam for test doubles (a task that crashes the process, a store that holds). */
export interface WorkerSeams {
  readonly decorate?: PartsDecorator
}

export function registerWorker(program: Command, seams: WorkerSeams = {}): void {
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
          ...(seams.decorate && { decorate: seams.decorate }),
        })
        ctx.print(statsJson(stats), () => statsText(stats))
        // a forced stop left tasks unfinished (not committed: they come back): not a clean exit
        if (stats.unfinished > 0) process.exitCode = exitCodes.tempFailure
      } finally {
        await ctx.resources.close()
      }
    })
}
