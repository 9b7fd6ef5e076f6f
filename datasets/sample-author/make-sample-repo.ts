import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  type SampleCommit,
  sampleRepositoryCommits,
  sampleRepositoryName,
} from './sample-repository-files.ts';

export { sampleRepositoryName };

const run = promisify(execFile);

/** The committer date of the last sample commit: what a crawler should report as `publishedAt`. */
export const sampleRepositoryLastCommitDate = new Date(sampleRepositoryCommits.at(-1)!.date).toISOString();

/** Marks a repository as ours, so a rebuild may delete it and nothing else. */
const FINGERPRINT_TRAILER = 'Sample-Fingerprint:';
const AUTHOR = { name: 'Noor Halvorsen', email: 'noor@noorhalvorsen.example' };

/**
 * Writes the sample author's tiny git repository into `targetDir` (created if missing) and returns
 * its absolute path. Idempotent: a directory already holding this exact repository is reused; one
 * holding an older version of it is rebuilt; any other non-empty directory is refused.
 */
export async function makeSampleRepository(targetDir: string): Promise<string> {
  const root = resolve(targetDir);
  const fingerprint = sampleFingerprint(sampleRepositoryCommits);
  const state = await inspect(root, fingerprint);
  if (state === 'current') return root;
  if (state === 'foreign') {
    throw new Error(`${root} exists and is not the sample repository; refusing to overwrite it`);
  }
  if (state === 'stale') await rm(root, { recursive: true, force: true });

  await mkdir(root, { recursive: true });
  await git(root, ['init', '--quiet', '--initial-branch=main']);
  for (const [index, commit] of sampleRepositoryCommits.entries()) {
    for (const [path, content] of Object.entries(commit.files)) {
      const file = join(root, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
    }
    // -f: the repository deliberately commits things .gitignore would hide (node_modules, .env),
    // because a crawler must cope with repositories where someone did exactly that.
    await git(root, ['add', '--all', '--force']);
    const last = index === sampleRepositoryCommits.length - 1;
    const message = last ? `${commit.message}\n\n${FINGERPRINT_TRAILER} ${fingerprint}` : commit.message;
    await git(root, ['commit', '--quiet', '--no-verify', '-m', message], commit.date);
  }
  return root;
}

async function inspect(
  root: string,
  fingerprint: string,
): Promise<'missing' | 'current' | 'stale' | 'foreign'> {
  const info = await stat(root).catch(() => undefined);
  if (!info) return 'missing';
  if (!info.isDirectory()) return 'foreign';
  if ((await readdir(root)).length === 0) return 'missing';
  let message: string;
  try {
    message = await git(root, ['log', '-1', '--format=%B']);
  } catch {
    return 'foreign';
  }
  if (!message.includes(FINGERPRINT_TRAILER)) return 'foreign';
  if (!message.includes(`${FINGERPRINT_TRAILER} ${fingerprint}`)) return 'stale';
  // A clean tree: someone may have edited files of a reused repository by hand.
  const status = await git(root, ['status', '--porcelain']);
  return status.trim() === '' ? 'current' : 'stale';
}

function sampleFingerprint(commits: readonly SampleCommit[]): string {
  const hash = createHash('sha256');
  for (const commit of commits) {
    hash.update(`${commit.message}\u0000${commit.date}\u0000`);
    for (const [path, content] of Object.entries(commit.files)) {
      hash.update(`${path}\u0000`);
      hash.update(content);
      hash.update('\u0000');
    }
  }
  return hash.digest('hex').slice(0, 16);
}

async function git(cwd: string, args: string[], date?: string): Promise<string> {
  const { stdout } = await run(
    'git',
    [
      // Identity and settings on the command line: CI machines have no git identity, and a
      // developer's global config (autocrlf, signing, hooks) must not change the bytes committed.
      '-c',
      `user.name=${AUTHOR.name}`,
      '-c',
      `user.email=${AUTHOR.email}`,
      '-c',
      'commit.gpgsign=false',
      '-c',
      'core.autocrlf=false',
      '-c',
      'core.hooksPath=/dev/null',
      ...args,
    ],
    {
      cwd,
      env: {
        ...process.env,
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_TERMINAL_PROMPT: '0',
        ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}),
      },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return stdout;
}
