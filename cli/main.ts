import { Command, CommanderError, Option } from 'commander';
import { ConfigError, TwinError } from '../core/errors.ts';
import { batchCommand } from './commands/batch-command.ts';
import { chatCommand } from './commands/chat-command.ts';
import { configCommand } from './commands/config-command.ts';
import { crawlCommand } from './commands/crawl-command.ts';
import { datasetsCommand } from './commands/datasets-command.ts';
import { documentsCommand } from './commands/documents-command.ts';
import { evalCommand } from './commands/eval-command.ts';
import { featuresCommand } from './commands/features-command.ts';
import { jobsCommand } from './commands/jobs-command.ts';
import { migrateCommand } from './commands/migrate-command.ts';
import { modelsCommand } from './commands/models-command.ts';
import { monitorCommand } from './commands/monitor-command.ts';
import { searchCommand } from './commands/search-command.ts';
import { serveCommand } from './commands/serve-command.ts';
import { trainCommand } from './commands/train-command.ts';
import { workerCommand } from './commands/worker-command.ts';

/** The `twin` command: the composition root that reads config, builds adapters and runs pipelines. */
export function buildProgram(): Command {
  const program = new Command('twin')
    .description(
      'LLM Twin: crawl what a person published, build versioned features, train and register a twin',
    )
    .option('--config <file>', 'YAML file merged over configs/default.yaml (also TWIN_CONFIG)')
    .option('--data-dir <dir>', 'folder for the embedded stores (default ./.twin)')
    .addOption(
      new Option('--log-level <level>', 'log verbosity').choices([
        'debug',
        'info',
        'warn',
        'error',
        'silent',
      ]),
    )
    .showHelpAfterError()
    .exitOverride();
  for (const command of [
    configCommand(),
    crawlCommand(),
    featuresCommand(),
    documentsCommand(),
    searchCommand(),
    datasetsCommand(),
    trainCommand(),
    evalCommand(),
    modelsCommand(),
    jobsCommand(),
    serveCommand(),
    chatCommand(),
    batchCommand(),
    monitorCommand(),
    migrateCommand(),
    workerCommand(),
  ]) {
    program.addCommand(command);
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    if (error instanceof TwinError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(
      `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}
