import { mkdir, mkdtemp, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { TwinError, ValidationError } from '../../errors.ts';
import { type GgufSummary, readGgufSummary } from '../gguf-summary.ts';
import { describePullFailure } from './describe-pull-failure.ts';
import { DownloadError, downloadFile } from './download-file.ts';
import { fetchRepoCommit } from './fetch-repo-commit.ts';
import { huggingFaceUrl } from './hugging-face-url.ts';
import { formatHuggingFaceFile, type HuggingFaceFile } from './model-pull-reference.ts';
import type { OpenDestination } from './open-destination.ts';
import { type PulledFileRecord, readVerifiedRecord, recordPathOf } from './pulled-file-record.ts';

export type HuggingFacePullOptions = {
  cacheDir: string;
  /** Hugging Face's address; a test points it at a local server with the same URL shapes. */
  huggingFaceUrl?: string;
  /** When given, the file must have this sha256 (lower-case hex). */
  sha256?: string;
  /** Bytes written so far, and the size the server announced, if it did. */
  onProgress?: (written: number, total: number | undefined) => void;
  openDestination?: OpenDestination;
};

export type PulledHuggingFaceFile = {
  path: string;
  sha256: string;
  /** Where the bytes came from this time: `cache` or `Hugging Face (REPO@REVISION)`. */
  source: string;
  cached: boolean;
  /** The reference and the commit it resolved to, for the registry. */
  origin: string;
  summary: GgufSummary;
  /** Why a cached file was or was not used, for a branch revision. */
  notes: string[];
};

const fullCommit = /^[0-9a-f]{40}$/;

/**
 * Makes a file of a Hugging Face repository present in `<cacheDir>/hf/OWNER/REPO/REVISION/FILE`.
 * No hash is pinned, so the file is hashed while it streams into a scratch folder beside the
 * target, checked to be GGUF (and against `sha256` when given), and renamed into place with a
 * record of its size and sha256. A cached file at a full commit is used as is once it re-hashes to
 * its record; at a branch, a HEAD request asks which commit the branch is at and the file is
 * downloaded again only if that is not the commit recorded. A failed pull leaves nothing behind.
 */
export async function pullHuggingFaceFile(
  file: HuggingFaceFile,
  options: HuggingFacePullOptions,
): Promise<PulledHuggingFaceFile> {
  const base = (options.huggingFaceUrl ?? 'https://huggingface.co').replace(/\/$/, '');
  const target = join(
    options.cacheDir,
    'hf',
    ...file.repository.split('/'),
    ...file.revision.split('/'),
    ...file.file.split('/'),
  );
  try {
    return await pull(file, target, base, options);
  } catch (error) {
    await removeEmptyFolders(dirname(target), options.cacheDir);
    throw new TwinError(
      `could not pull ${formatHuggingFaceFile(file)} from Hugging Face at ${base}: ${reason(error, file, options.cacheDir)}`,
      { cause: error },
    );
  }
}

async function pull(
  file: HuggingFaceFile,
  target: string,
  base: string,
  options: HuggingFacePullOptions,
): Promise<PulledHuggingFaceFile> {
  const reference = formatHuggingFaceFile(file);
  const originOf = (commit: string | null) =>
    commit && commit !== file.revision ? `${reference} (commit ${commit})` : reference;
  const fromCache = async (record: PulledFileRecord, notes: string[]): Promise<PulledHuggingFaceFile> => ({
    path: target,
    sha256: record.sha256,
    source: 'cache',
    cached: true,
    origin: originOf(record.commit),
    summary: await readGgufSummary(target),
    notes,
  });

  const recorded = await readVerifiedRecord(target);
  const cached = recorded && (!options.sha256 || recorded.sha256 === options.sha256) ? recorded : undefined;
  const pinned = fullCommit.test(file.revision);
  // A commit's files never change: a cached one that still re-hashes to its record is the file.
  if (cached && pinned) return fromCache(cached, []);
  const commit = pinned ? file.revision : await fetchRepoCommit(huggingFaceUrl(file, base));
  const notes: string[] = [];
  if (cached) {
    if (commit !== null && commit === cached.commit) {
      return fromCache(cached, [`${file.revision} is still at commit ${commit}`]);
    }
    notes.push(
      commit === null
        ? `Hugging Face did not say which commit ${file.revision} is at, so the file was downloaded again`
        : `${file.revision} moved from ${cached.commit ?? 'an unrecorded commit'} to ${commit}, so the file was downloaded again`,
    );
  }

  // From the commit the HEAD named rather than the branch, so the bytes are the commit's even if
  // the branch moves in between.
  const url = huggingFaceUrl({ ...file, revision: commit ?? file.revision }, base);
  await mkdir(dirname(target), { recursive: true });
  // Beside the target, so the rename stays on one file system; removed whatever happens.
  const scratch = await mkdtemp(join(dirname(target), '.pull-'));
  try {
    const temporary = join(scratch, basename(target));
    let written = 0;
    const downloaded = await downloadFile(url, temporary, {
      onBytes: (bytes, total) => {
        written += bytes;
        options.onProgress?.(written, total);
      },
      openDestination: options.openDestination,
    });
    if (options.sha256 && downloaded.sha256 !== options.sha256) {
      throw new ValidationError(
        `hash mismatch: got ${downloaded.bytes} bytes with sha256 ${downloaded.sha256}, expected sha256 ${options.sha256}`,
      );
    }
    const summary = await readGgufSummary(temporary, 'the downloaded file');
    const record: PulledFileRecord = {
      reference,
      commit,
      bytes: downloaded.bytes,
      sha256: downloaded.sha256,
      pulledAt: new Date().toISOString(),
    };
    const temporaryRecord = join(scratch, 'record.json');
    await writeFile(temporaryRecord, `${JSON.stringify(record, null, 2)}\n`);
    // The file first: should the second rename never happen, an older record no longer matches the
    // new file, and the next pull downloads again instead of trusting it.
    await rename(temporary, target);
    await rename(temporaryRecord, recordPathOf(target));
    return {
      path: target,
      sha256: downloaded.sha256,
      source: `Hugging Face (${file.repository}@${(commit ?? file.revision).slice(0, 12)})`,
      cached: false,
      origin: originOf(commit),
      summary,
      notes,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function reason(error: unknown, file: HuggingFaceFile, cacheDir: string): string {
  // The hub answers 404 for a missing file or revision, and 401 for a repository it will not show
  // an anonymous client, which is also how it answers for one that does not exist.
  if (error instanceof DownloadError && (error.status === 404 || error.status === 401)) {
    const privately = error.status === 401 ? ', or is private or gated (no token is sent)' : '';
    return `not found: ${file.repository} has no file ${file.file} at revision ${file.revision} (the repository, the revision or the file does not exist${privately}; ${error.message})`;
  }
  return describePullFailure(error, cacheDir);
}

/**
 * Removes the folders a failed first pull made (`hf/OWNER/REPO/REVISION/…`), deepest first, up to
 * the cache itself. `rmdir` removes only empty folders, so another pull's files are never touched.
 */
async function removeEmptyFolders(folder: string, cacheDir: string): Promise<void> {
  const root = `${resolve(cacheDir)}${sep}`;
  for (let current = resolve(folder); current.startsWith(root); current = dirname(current)) {
    try {
      await rmdir(current);
    } catch {
      return;
    }
  }
}
