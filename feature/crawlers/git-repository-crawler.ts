import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CrawlError } from '../../core/errors.ts';
import type { RepositoryDocument } from '../../core/types/raw-document.ts';
import type { CrawlContext, Crawler, CrawlOutcome } from './crawler.ts';
import { assertAllowedHost } from './host-guard.ts';
import {
  decodeText,
  ignoredDirectoryOf,
  languageOf,
  skipReason,
  type TreeEntry,
} from './repository-file-policy.ts';
import { fileUrl, parseRepositoryTarget, type RepositoryTarget, repositoryUrl } from './repository-target.ts';
import { runGit } from './run-git.ts';

/** Blobs read per `git cat-file --batch` call: bounds memory to about this many maxFileBytes. */
const readBatchFiles = 64;

type Snapshot = { commit: string; branch: string | null; committedAt: string | null };

/**
 * Crawls a git repository (https or ssh URL, `file://` URL or local path) into one repository
 * document per source or documentation file of its HEAD commit.
 *
 * Every target, local ones included, is shallow-cloned into a temporary folder and read from git's
 * object store rather than from a working tree: that yields exactly what was committed (the
 * published state: no uncommitted edits, no ignored files), byte for byte (no checkout filters or
 * line-ending conversion), and never runs git inside a folder whose own config or hooks we do not
 * control.
 */
export class GitRepositoryCrawler implements Crawler {
  readonly name = 'github';

  async *crawl(target: string, context: CrawlContext): AsyncIterable<CrawlOutcome> {
    const repository = parseRepositoryTarget(target);
    const cloneUrl = await this.checkTarget(target, repository, context);
    const workspace = await mkdtemp(join(tmpdir(), 'llm-twin-git-'));
    try {
      const gitDir = join(workspace, 'repository.git');
      await this.clone(target, repository, cloneUrl, gitDir, context);
      const snapshot = await this.snapshot(target, gitDir, context);
      yield* this.walk(target, repository, gitDir, snapshot, context);
    } finally {
      // Also reached when the consumer stops early (return()) or a step throws.
      await rm(workspace, { recursive: true, force: true });
    }
  }

  private async checkTarget(
    target: string,
    repository: RepositoryTarget,
    context: CrawlContext,
  ): Promise<string> {
    if (repository.kind === 'remote') {
      // git connects by itself, so the guard resolves the host here; see also http.followRedirects below.
      await assertAllowedHost(repository.guardUrl, context.config);
      return repository.cloneUrl;
    }
    const info = await stat(repository.path).catch(() => undefined);
    if (!info) throw new CrawlError(target, `no such directory: ${repository.path}`);
    if (!info.isDirectory()) throw new CrawlError(target, `not a directory: ${repository.path}`);
    // file:// rather than a plain path: git ignores --depth for plain local paths.
    return pathToFileURL(repository.path).href;
  }

  private async clone(
    target: string,
    repository: RepositoryTarget,
    cloneUrl: string,
    gitDir: string,
    context: CrawlContext,
  ): Promise<void> {
    const local = repository.kind === 'local';
    await runGit(
      ['clone', '--bare', '--depth', '1', '--single-branch', '--no-tags', '--quiet', '--', cloneUrl, gitDir],
      {
        target,
        // A clone is many requests; give it ten page timeouts, and at least a minute.
        timeoutMs: Math.max(context.config.timeoutMs * 10, 60_000),
        signal: context.signal,
        allowFileProtocol: local,
        // A redirect could lead git to a host the guard never saw (a private address).
        config: local ? [] : ['http.followRedirects=false'],
      },
    ).catch((error: unknown) => {
      if (
        local &&
        error instanceof CrawlError &&
        /not a git repository|does not appear to be a git/i.test(error.message)
      ) {
        throw new CrawlError(target, `not a git repository: ${repository.path}`, { cause: error });
      }
      throw error;
    });
  }

  private async snapshot(target: string, gitDir: string, context: CrawlContext): Promise<Snapshot> {
    const options = {
      target,
      cwd: gitDir,
      timeoutMs: Math.max(context.config.timeoutMs, 10_000),
      signal: context.signal,
    };
    const log = await runGit(['log', '-1', '--format=%H%n%cI', 'HEAD'], options).catch((error: unknown) => {
      throw new CrawlError(target, 'repository has no commits', { cause: error });
    });
    const [commit = '', committed = ''] = log.toString('utf8').trim().split('\n');
    const branch = (
      await runGit(['symbolic-ref', '--quiet', '--short', 'HEAD'], options).catch(() => Buffer.from(''))
    )
      .toString('utf8')
      .trim();
    const date = new Date(committed);
    return {
      commit,
      branch: branch || null,
      committedAt: Number.isNaN(date.getTime()) ? null : date.toISOString(),
    };
  }

  private async *walk(
    target: string,
    repository: RepositoryTarget,
    gitDir: string,
    snapshot: Snapshot,
    context: CrawlContext,
  ): AsyncIterable<CrawlOutcome> {
    const settings = context.config.repository;
    const timeoutMs = Math.max(context.config.timeoutMs, 10_000);
    const listing = await runGit(['ls-tree', '-r', '-l', '-z', '--full-tree', 'HEAD'], {
      target,
      cwd: gitDir,
      timeoutMs,
      signal: context.signal,
    });
    const candidates: TreeEntry[] = [];
    const skipped: CrawlOutcome[] = [];
    // One outcome per ignored folder, not per file in it: node_modules alone can hold 50,000 files.
    const ignoredFolders = new Map<string, number>();
    for (const entry of parseTree(listing)) {
      const folder = ignoredDirectoryOf(entry.path, settings);
      if (folder) {
        ignoredFolders.set(folder, (ignoredFolders.get(folder) ?? 0) + 1);
        continue;
      }
      const reason = skipReason(entry, settings);
      if (reason) skipped.push({ kind: 'skipped', url: fileUrl(repository, entry.path), reason });
      else candidates.push(entry);
    }
    for (const [folder, count] of ignoredFolders) {
      const reason = `ignored directory ${folder}/ (crawler.repository.ignoreDirectories, ${count} file${count === 1 ? '' : 's'})`;
      skipped.push({ kind: 'skipped', url: fileUrl(repository, folder), reason });
    }
    const selected = candidates.slice(0, settings.maxFiles);
    if (candidates.length > selected.length) {
      const left = candidates.length - selected.length;
      const reason = `crawler.repository.maxFiles (${settings.maxFiles}) reached: ${left} more file${left === 1 ? '' : 's'} not crawled`;
      skipped.push({ kind: 'skipped', url: repositoryUrl(repository), reason });
    }
    context.onDiscovered?.(selected.length);
    yield* skipped;

    for (let start = 0; start < selected.length; start += readBatchFiles) {
      context.signal.throwIfAborted();
      const batch = selected.slice(start, start + readBatchFiles);
      const blobs = await readBlobs(target, gitDir, batch, timeoutMs, context.signal);
      for (const entry of batch) {
        const url = fileUrl(repository, entry.path);
        const bytes = blobs.get(entry.objectId);
        if (!bytes) {
          yield { kind: 'failed', url, error: `git object ${entry.objectId} missing from the clone` };
          continue;
        }
        const decoded = decodeText(bytes);
        if ('reason' in decoded) {
          yield { kind: 'skipped', url, reason: decoded.reason };
          continue;
        }
        const document: Omit<RepositoryDocument, 'id' | 'contentHash' | 'authorId' | 'fetchedAt'> = {
          category: 'repository',
          platform: 'github',
          repository: repository.repository,
          path: entry.path,
          language: languageOf(entry.path),
          title: `${repository.repository}: ${entry.path}`,
          content: decoded.text,
          sourceUrl: url,
          canonicalUrl: url,
          publishedAt: snapshot.committedAt,
          metadata: { commit: snapshot.commit, branch: snapshot.branch, bytes: entry.size },
        };
        yield { kind: 'document', document, discoveredFrom: repositoryUrl(repository) };
      }
    }
  }
}

/** Parses `git ls-tree -r -l -z` output: `<mode> <type> <object> <size>\t<path>\0`. */
function parseTree(listing: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const record of listing.toString('utf8').split('\0')) {
    const tab = record.indexOf('\t');
    if (tab < 0) continue;
    const [mode = '', type = '', objectId = '', size = ''] = record.slice(0, tab).split(/\s+/);
    entries.push({
      mode,
      type,
      objectId,
      size: size === '-' ? 0 : Number(size),
      path: record.slice(tab + 1),
    });
  }
  return entries;
}

/** Reads blobs with one `git cat-file --batch`: `<id> blob <size>\n<bytes>\n` per object. */
async function readBlobs(
  target: string,
  gitDir: string,
  entries: TreeEntry[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Map<string, Uint8Array>> {
  const ids = [...new Set(entries.map((entry) => entry.objectId))];
  const output = await runGit(['cat-file', '--batch'], {
    target,
    cwd: gitDir,
    timeoutMs,
    signal,
    input: `${ids.join('\n')}\n`,
    // Sizes are known from ls-tree, so the bound is exact: the blobs plus a header line each.
    maxOutputBytes: entries.reduce((total, entry) => total + entry.size + 128, 0),
  });
  const blobs = new Map<string, Uint8Array>();
  let offset = 0;
  while (offset < output.length) {
    const newline = output.indexOf(0x0a, offset);
    if (newline < 0) break;
    const [id = '', type = '', size = ''] = output.subarray(offset, newline).toString('utf8').split(' ');
    offset = newline + 1;
    if (type === 'missing' || size === '') continue;
    const length = Number(size);
    blobs.set(id, output.subarray(offset, offset + length));
    offset += length + 1;
  }
  return blobs;
}
