import { spawn } from 'node:child_process';
import { CrawlError } from '../../core/errors.ts';

export type RunGitOptions = {
  /** The crawl target, for error messages. */
  target: string;
  cwd?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Written to git's stdin, then stdin is closed. */
  input?: string;
  /** Lets git read `file://` URLs: only for targets the user named as local paths. */
  allowFileProtocol?: boolean;
  /** Extra `-c name=value` settings. */
  config?: string[];
  /** git is killed when stdout grows past this. */
  maxOutputBytes?: number;
};

// Network trouble is worth another try later; a missing repository or a bad URL is not.
const transient =
  /timed out|could not resolve host|failed to connect|connection (refused|reset|timed out)|early eof|remote end hung up|http 5\d\d|the requested url returned error: (429|5\d\d)/i;

/**
 * Runs git with an argument array (never a shell string) and returns its stdout. Prompts are off
 * (a crawl must never wait for a password), and failures become CrawlErrors that say which git
 * command failed and why, in git's own words.
 */
export function runGit(args: string[], options: RunGitOptions): Promise<Buffer> {
  const config = [
    ...(options.allowFileProtocol ? ['protocol.file.allow=always'] : []),
    ...(options.config ?? []),
  ].flatMap((setting) => ['-c', setting]);
  const maxOutputBytes = options.maxOutputBytes ?? 64 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...config, ...args], {
      cwd: options.cwd,
      env: {
        ...process.env,
        GIT_TERMINAL_PROMPT: '0',
        // BatchMode makes ssh fail instead of asking for a passphrase or a host-key confirmation.
        GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
        LC_ALL: 'C', // stable English messages, so `transient` can recognise them
      },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let overflow = false;
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxOutputBytes) {
        overflow = true;
        child.kill('SIGKILL');
        return;
      }
      chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 16_384) stderr += chunk.toString('utf8');
    });
    // git may exit before reading all of stdin (bad object id); EPIPE then is not our failure.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    const command = `git ${args.find((arg) => !arg.startsWith('-')) ?? args[0] ?? ''}`;
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        reject(new CrawlError(options.target, 'git is not installed or not on PATH', { cause: error }));
      } else if (error.name === 'AbortError') {
        reject(new CrawlError(options.target, `${command} aborted`, { cause: error }));
      } else {
        reject(
          new CrawlError(options.target, `${command} failed: ${error.message}`, {
            cause: error,
            retryable: true,
          }),
        );
      }
    });
    child.on('close', (code, signal) => {
      if (code === 0 && !overflow) {
        resolve(Buffer.concat(chunks));
        return;
      }
      const lines = stderr
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean);
      // git's reason is on its fatal:/error: lines; the rest is advice ("make sure you have access").
      const reasons = lines.filter((line) => /^(fatal|error):/.test(line));
      const detail = (reasons.length > 0 ? reasons : lines.slice(-3)).join(' / ').slice(0, 500);
      if (overflow) {
        reject(new CrawlError(options.target, `${command} produced more than ${maxOutputBytes} bytes`));
      } else if (signal === 'SIGKILL' && !options.signal?.aborted) {
        reject(
          new CrawlError(options.target, `${command} timed out after ${options.timeoutMs} ms`, {
            retryable: true,
          }),
        );
      } else if (!options.signal?.aborted) {
        const message = `${command} failed (exit ${code ?? signal})${detail ? `: ${detail}` : ''}`;
        reject(new CrawlError(options.target, message, { retryable: transient.test(detail) }));
      }
    });
  });
}
