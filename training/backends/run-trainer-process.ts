import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { errorMessage, ValidationError } from '../../core/errors.ts';

export type TrainerExit = {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last stderr lines, for the error message when the trainer fails. */
  stderrTail: string[];
  timedOut: boolean;
  aborted: boolean;
};

export type TrainerProcessOptions = {
  timeoutMs: number;
  /** Time between SIGTERM and SIGKILL. */
  killGraceMs: number;
  signal: AbortSignal;
  /**
   * Each non-empty output line, in order. `redrawn` lines ended with a bare carriage return: a
   * progress bar redrawing itself, which callers may thin out.
   */
  onLine(line: string, stream: 'stdout' | 'stderr', redrawn: boolean): void;
  stderrTailLines?: number;
};

/**
 * Runs a trainer from an argument array, never through a shell, so no path or value is ever
 * interpreted. It gets its own process group, so stopping it (timeout, abort) also stops the
 * workers it forked, e.g. PyTorch data loaders: SIGTERM first, SIGKILL after a grace period.
 */
export function runTrainerProcess(
  argv: readonly string[],
  options: TrainerProcessOptions,
): Promise<TrainerExit> {
  const [command, ...args] = argv;
  if (!command) return Promise.reject(new ValidationError('the trainer command is empty'));
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    const stderrTail: string[] = [];
    const tailSize = options.stderrTailLines ?? 20;
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;

    const signalGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(process.platform === 'win32' ? child.pid : -child.pid, signal);
      } catch {
        child.kill(signal);
      }
    };
    const stop = () => {
      signalGroup('SIGTERM');
      killTimer ??= setTimeout(() => signalGroup('SIGKILL'), options.killGraceMs);
    };
    const timeout = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });

    readLines(child.stdout, (line, redrawn) => options.onLine(line, 'stdout', redrawn));
    readLines(child.stderr, (line, redrawn) => {
      if (!redrawn) {
        stderrTail.push(line);
        if (stderrTail.length > tailSize) stderrTail.shift();
      }
      options.onLine(line, 'stderr', redrawn);
    });

    const cleanUp = () => {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      options.signal.removeEventListener('abort', onAbort);
    };
    child.once('error', (error) => {
      cleanUp();
      reject(
        new ValidationError(`cannot start the trainer ${command}: ${errorMessage(error)}`, { cause: error }),
      );
    });
    // `close` (not `exit`) waits until stdout and stderr are drained.
    child.once('close', (code, signal) => {
      cleanUp();
      resolve({ code, signal, stderrTail, timedOut, aborted });
    });
  });
}

/** Splits a stream into lines; a bare carriage return (a progress bar redrawing) also ends one. */
function readLines(stream: Readable, onLine: (line: string, redrawn: boolean) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    for (let match = /\r\n|\n|\r(?!$)/.exec(pending); match; match = /\r\n|\n|\r(?!$)/.exec(pending)) {
      const line = pending.slice(0, match.index);
      pending = pending.slice(match.index + match[0].length);
      if (line.trim()) onLine(line, match[0] === '\r');
    }
  });
  stream.on('end', () => {
    const line = pending.replace(/\r$/, '');
    if (line.trim()) onLine(line, pending.endsWith('\r'));
    pending = '';
  });
}
