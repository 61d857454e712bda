/** `vectorize`: one file per command; this one assembles them and turns errors into exit codes. */
import { Command, CommanderError } from 'commander'
import { VectorizeError } from '../worker/errors.ts'
import { registerCollections } from './collections.ts'
import { registerConfig } from './config.ts'
import { registerDashboard } from './dashboard.ts'
import { registerDemo } from './demo.ts'
import { registerDlq } from './dlq.ts'
import { exitCodeOf, exitCodes } from './exit-codes.ts'
import { FatalWatch } from './fatal.ts'
import { registerIngest } from './ingest.ts'
import { registerModels } from './models.ts'
import { registerQueue } from './queue.ts'
import { registerSearch } from './search.ts'
import { registerStatus } from './status.ts'
import { registerSubmit } from './submit.ts'
import { registerWorker, type WorkerSeams } from './worker.ts'
import { registerWorkers } from './workers.ts'

const collect = (value: string, previous: string[]) => [...previous, value]

/** What an embedding program (a test's CLI with doubles) may change in the commands it runs. */
export type CliSeams = WorkerSeams

export function buildProgram(seams: CliSeams = {}): Command {
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
    registerDlq,
    registerDashboard,
    registerCollections,
    registerConfig,
    registerModels,
    registerDemo,
  ]) {
    register(program, seams)
  }
  for (const command of program.commands) command.exitOverride()
  return program
}

export async function main(argv: readonly string[], seams: CliSeams = {}): Promise<number> {
  const fatal = new FatalWatch(exitCodes.software)
  try {
    await buildProgram(seams).parseAsync(argv, { from: 'user' })
    if (fatal.error) throw fatal.error
    return typeof process.exitCode === 'number' ? process.exitCode : exitCodes.ok
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? exitCodes.ok : exitCodes.usage
    const error = fatal.error ?? err
    process.stderr.write(`vectorize: ${describe(error)}\n`)
    return exitCodeOf(error)
  } finally {
    fatal.close()
  }
}

function describe(err: unknown): string {
  if (err instanceof VectorizeError) return `${err.code}: ${err.message}`
  if (err instanceof Error) return err.message
  return String(err)
}
