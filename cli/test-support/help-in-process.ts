import { type Command, CommanderError } from 'commander';
import { buildProgram } from '../main.ts';
import type { TwinResult } from './run-twin.ts';

/** `twin <path> --help` parsed by the real program in this process, with its output captured. */
export async function helpInProcess(path: string[]): Promise<TwinResult> {
  let stdout = '';
  let stderr = '';
  const program = await buildProgram();
  const capture = (command: Command): void => {
    command.exitOverride().configureOutput({
      writeOut: (text) => {
        stdout += text;
      },
      writeErr: (text) => {
        stderr += text;
      },
    });
    for (const child of command.commands) capture(child);
  };
  capture(program);
  try {
    await program.parseAsync(['node', 'twin', ...path, '--help']);
    return { code: 0, stdout, stderr };
  } catch (error) {
    if (error instanceof CommanderError) return { code: error.exitCode, stdout, stderr };
    throw error;
  }
}
