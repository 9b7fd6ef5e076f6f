import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { configFor } from './cli-context.ts';

function command(...args: string[]): Command {
  const program = new Command().option('--config <file>').exitOverride();
  program.parse(args, { from: 'user' });
  return program;
}

describe('configFor', () => {
  it('leaves a core for the event loop unless a one-shot command asks for every core', () => {
    expect(configFor(command()).models.threads).toBeNull();
    expect(configFor(command(), { everyCore: true }).models.threads).toBe(availableParallelism());
  });

  it('keeps a configured thread count even for a one-shot command', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'twin-cli-context-')), 'twin.yaml');
    writeFileSync(file, 'models:\n  threads: 1\n');
    expect(configFor(command('--config', file), { everyCore: true }).models.threads).toBe(1);
  });
});
