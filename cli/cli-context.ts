import type { Command } from 'commander';
import type { TwinConfig } from '../core/config/config-schema.ts';
import { loadConfig } from '../core/config/load-config.ts';
import { createLogger } from '../core/logger.ts';
import type { Runtime } from './runtime.ts';

export type GlobalOptions = { config?: string; dataDir?: string; logLevel?: TwinConfig['logLevel'] };

/** The effective configuration for a command: files and environment, then global flags. */
export function configFor(command: Command): TwinConfig {
  const options = command.optsWithGlobals<GlobalOptions>();
  const overrides: Record<string, unknown> = {};
  if (options.dataDir) overrides.dataDir = options.dataDir;
  if (options.logLevel) overrides.logLevel = options.logLevel;
  return loadConfig({ file: options.config, overrides });
}

/** Opens the runtime for one command and always closes it, even when the command fails. */
export async function withRuntime<T>(command: Command, run: (runtime: Runtime) => Promise<T>): Promise<T> {
  const config = configFor(command);
  const logger = createLogger({ level: config.logLevel });
  // Loaded on first use: the runtime pulls in every engine (tfjs, transformers, drivers), which
  // `--help` and other commands that open no stores should not pay for at start-up.
  const { openRuntime } = await import('./runtime.ts');
  const runtime = await openRuntime(config, logger);
  try {
    return await run(runtime);
  } finally {
    await runtime.close();
  }
}

/** Writes command output to stdout (logs and progress go to stderr). */
export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
