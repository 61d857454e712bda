/** `vectorize`: one file per command; this one assembles them and turns errors into exit codes. */
import { Command, CommanderError } from 'commander'
import { VectorizeError } from '../worker/errors.ts'
import { registerCollections } from './collections.ts'
import { registerConfig } from './config.ts'
import { registerDemo } from './demo.ts'
import { exitCodeOf, exitCodes } from './exit-codes.ts'
import { registerIngest } from './ingest.ts'
import { registerModels } from './models.ts'
import { registerQueue } from './queue.ts'
import { registerSearch } from './search.ts'
import { registerStatus } from './status.ts'
import { registerSubmit } from './submit.ts'
import { registerWorker } from './worker.ts'
import { registerWorkers } from './workers.ts'

const collect = (value: string, previous: string[]) => [...previous, value]

export function buildProgram(): Command {
  const program = new Command('vectorize')
    .description(
      'Worker node for distributed vectorization: tasks in, embeddings out, vectors stored.',
    )
    .option('--config <file>', 'YAML config (default: config/worker.yaml when present)')
    .option('--set <key=value>', 'any setting by its dotted path, repeatable', collect, [])
    .option('--worker-id <id>', 'worker.id')
    .option('--device <device>', 'models.device: auto, cpu, cuda or coreml')
    .option('--max-concurrent-tasks <n>', 'processing.max_concurrent_tasks')
    .option('--log-level <level>', 'worker.log_level')
    .option('--json', 'print machine-readable JSON')
    .showHelpAfterError()
    .exitOverride()
  for (const register of [
    registerSubmit,
    registerWorker,
    registerWorkers,
    registerIngest,
    registerSearch,
    registerStatus,
    registerQueue,
    registerCollections,
    registerConfig,
    registerModels,
    registerDemo,
  ]) {
    register(program)
  }
  for (const command of program.commands) command.exitOverride()
  return program
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : exitCodes.ok
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? exitCodes.ok : exitCodes.usage
    process.stderr.write(`vectorize: ${describe(err)}\n`)
    return exitCodeOf(err)
  }
}

function describe(err: unknown): string {
  if (err instanceof VectorizeError) return `${err.code}: ${err.message}`
  if (err instanceof Error) return err.message
  return String(err)
}
