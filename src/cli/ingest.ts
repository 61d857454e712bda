import type { Command } from 'commander'
import { openPublisher, runWorker } from '../main.ts'
import { commandContext } from './context.ts'
import { planIngest } from './ingest-files.ts'
import { progressBar } from './progress.ts'
import { statsJson, statsText } from './summary.ts'

const encoder = new TextEncoder()

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .argument(
      '<paths...>',
      'files or folders: .jsonl (task messages or {id, text, metadata}), .txt, .md',
    )
    .description('turn files into tasks and process them')
    .action(async (paths: string[], _opts: unknown, command: Command) => {
      const ctx = await commandContext(command, { quietLogs: true })
      try {
        const plan = await planIngest(paths, process.cwd(), ctx.config.processing.max_text_bytes)
        const publisher = await openPublisher(ctx)
        await publisher.publish(
          plan.messages.map((m) => encoder.encode(m)),
          { signal: AbortSignal.timeout(600_000) },
        )
        if (!ctx.json)
          process.stderr.write(
            `ingesting ${plan.messages.length} tasks from ${plan.files} file(s)\n`,
          )
        const progress = progressBar(
          plan.messages.length,
          !ctx.json && process.stderr.isTTY === true,
        )
        const stats = await runWorker(ctx, { untilIdle: true, metrics: progress.metrics }).finally(
          () => progress.stop(),
        )
        const skipped = Object.fromEntries(plan.skipped)
        ctx.print(
          { files: plan.files, submitted: plan.messages.length, skipped, ...statsJson(stats) },
          () =>
            [
              statsText(stats),
              ...Object.entries(skipped).map(([why, n]) => `skipped ${n} file(s): ${why}`),
            ].join('\n'),
        )
      } finally {
        await ctx.resources.close()
      }
    })
}
