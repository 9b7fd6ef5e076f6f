import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const bin = resolve(import.meta.dirname, '../../bin/twin.js');

export type RunningTwin = {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The exit code, or null when a signal ended it. */
  exited: Promise<number | null>;
};

/** Starts the real `twin` binary and keeps it running (a worker, a server, a following producer). */
export function startTwin(args: string[], env: Record<string, string> = {}): RunningTwin {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Waits for `probe` to return something truthy; bounded, so a broken process fails the test instead of hanging it. */
export async function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  limitMs = 40_000,
): Promise<NonNullable<T>> {
  const deadline = performance.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
