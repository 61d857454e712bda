/**
 * `vectorize ingest PATHS...`: plans tasks from files (see `ingest-files.ts`), queues them, and runs
 * the embedded worker until they are done, with the ingested folders added to
 * `content.allowed_roots` for this run so the worker may read the images and documents.
 */
import type { Command } from 'commander'
import type { Config } from '../config/schema.ts'
import { openPublisher, runWorker } from '../main.ts'
import { collectionName } from '../protocol/task.ts'
import { VectorizeError } from '../worker/errors.ts'
import { commandContext } from './context.ts'
import { ingestExtensions, planIngest, type IngestPlan } from './ingest-files.ts'
import { progressBar } from './progress.ts'
import { statsJson, statsText } from './summary.ts'

const encoder = new TextEncoder()

/** The catalog's CLIP alias: image tasks need a model with an image tower. */
export const defaultImageModel = 'ViT-B/32'

interface IngestFlags {
  readonly imageModel: string
  readonly imageCollection?: string
}

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .argument('<paths...>', `files or folders (${ingestExtensions})`)
    .option('--image-model <name>', 'CLIP model for images', defaultImageModel)
    .option(
      '--image-collection <name>',
      'collection for image vectors (default <collection>_images)',
    )
    .description(
      'turn files into tasks (texts and documents chunked, images by CLIP) and process them',
    )
    .action(async (paths: string[], flags: IngestFlags, command: Command) => {
      const ctx = await commandContext(command, { quietLogs: true })
      try {
        const plan = await planIngest(paths, process.cwd(), {
          maxFetchBytes: ctx.config.content.max_fetch_bytes,
          imageModel: flags.imageModel,
          imageCollection: imageCollection(ctx.config, flags),
        })
        const deps = { ...ctx, config: withRoots(ctx.config, plan.roots) }
        const publisher = await openPublisher(deps)
        await publisher.publish(
          plan.messages.map((m) => encoder.encode(m)),
          { signal: AbortSignal.timeout(600_000) },
        )
        if (!ctx.json) process.stderr.write(`ingesting ${describePlan(plan)}\n`)
        const progress = progressBar(
          plan.messages.length,
          !ctx.json && process.stderr.isTTY === true,
        )
        const stats = await runWorker(deps, { untilIdle: true, metrics: progress.metrics }).finally(
          () => progress.stop(),
        )
        const skipped = Object.fromEntries(plan.skipped)
        const types = Object.fromEntries(plan.types)
        ctx.print(
          {
            files: plan.files,
            submitted: plan.messages.length,
            types,
            skipped,
            ...statsJson(stats),
          },
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

function imageCollection(config: Config, flags: IngestFlags): string {
  const name = flags.imageCollection ?? `${config.processing.default_collection}_images`
  if (!collectionName.safeParse(name).success)
    throw new VectorizeError(
      'invalid_argument',
      `image collection ${JSON.stringify(name)} is not a valid collection name; pass --image-collection`,
    )
  return name
}

/** The user's roots plus the folders being ingested, for this run only. */
function withRoots(config: Config, roots: readonly string[]): Config {
  const allowed = [...new Set([...config.content.allowed_roots, ...roots])]
  return { ...config, content: { ...config.content, allowed_roots: allowed } }
}

function describePlan(plan: IngestPlan): string {
  const types = [...plan.types].map(([type, n]) => `${n} ${type}`).join(', ')
  return `${plan.messages.length} tasks (${types || 'none'}) from ${plan.files} file(s)`
}
