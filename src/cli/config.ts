import type { Command } from 'commander'
import { stringify } from 'yaml'
import { redactConfig } from '../config/redact.ts'
import { commandContext } from './context.ts'

export function registerConfig(program: Command): void {
  const config = program.command('config').description('inspect the configuration')
  config
    .command('print')
    .description('the resolved config (defaults < YAML < env < flags), secrets redacted')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = await commandContext(command, { quietLogs: true })
      const redacted = redactConfig(ctx.config)
      const source = ctx.configFile
        ? `# from ${ctx.configFile} + environment + flags`
        : '# no config file: defaults + environment + flags'
      ctx.print(redacted, () => `${source}\n${stringify(redacted).trimEnd()}`)
    })
}
