import { Command, CommanderError, Option } from 'commander';
import { ConfigError, TwinError } from '../core/errors.ts';

type CommandModule = () => Promise<Command>;

// Each command loads on demand: a command module pulls in its engines (tfjs, transformers, drivers),
// and a process that runs one command should not pay seconds of start-up for all sixteen.
const commandModules: Record<string, CommandModule> = {
  config: async () => (await import('./commands/config-command.ts')).configCommand(),
  crawl: async () => (await import('./commands/crawl-command.ts')).crawlCommand(),
  features: async () => (await import('./commands/features-command.ts')).featuresCommand(),
  documents: async () => (await import('./commands/documents-command.ts')).documentsCommand(),
  search: async () => (await import('./commands/search-command.ts')).searchCommand(),
  datasets: async () => (await import('./commands/datasets-command.ts')).datasetsCommand(),
  train: async () => (await import('./commands/train-command.ts')).trainCommand(),
  eval: async () => (await import('./commands/eval-command.ts')).evalCommand(),
  models: async () => (await import('./commands/models-command.ts')).modelsCommand(),
  jobs: async () => (await import('./commands/jobs-command.ts')).jobsCommand(),
  serve: async () => (await import('./commands/serve-command.ts')).serveCommand(),
  chat: async () => (await import('./commands/chat-command.ts')).chatCommand(),
  batch: async () => (await import('./commands/batch-command.ts')).batchCommand(),
  monitor: async () => (await import('./commands/monitor-command.ts')).monitorCommand(),
  migrate: async () => (await import('./commands/migrate-command.ts')).migrateCommand(),
  worker: async () => (await import('./commands/worker-command.ts')).workerCommand(),
};

/** Global options that take a value: the word after them is not a command name. */
const globalOptionsWithValue = new Set(['--config', '--data-dir', '--log-level']);

/** The command name `argv` (as `process.argv`) invokes, or undefined for `twin`, `--help` or a typo. */
export function invokedCommand(argv: string[]): string | undefined {
  for (let index = 2; index < argv.length; index += 1) {
    const word = argv[index] ?? '';
    if (globalOptionsWithValue.has(word)) index += 1;
    else if (!word.startsWith('-')) return Object.hasOwn(commandModules, word) ? word : undefined;
  }
  return undefined;
}

/** The `twin` command: the composition root that reads config, builds adapters and runs pipelines. */
export async function buildProgram(only?: string): Promise<Command> {
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
  // Without a known command (bare `twin`, `--help`, a typo), every command is loaded so that help
  // lists them all and a typo gets its suggestion.
  const names = only ? [only] : Object.keys(commandModules);
  const commands = await Promise.all(names.map((name) => commandModules[name]?.()));
  for (const command of commands) if (command) program.addCommand(command);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(invokedCommand(argv))).parseAsync(argv);
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
