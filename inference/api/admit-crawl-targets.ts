import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../../core/errors.ts';
import { bareHostUrl, isAddress, isScpLikeGit } from '../../core/jobs/crawl-target.ts';

/** Schemes a crawl over HTTP may name: the web and remote git. Anything else could reach the server's disk. */
const remoteSchemes = new Set(['http:', 'https:', 'git:', 'ssh:', 'git+ssh:']);

/**
 * The crawl targets an HTTP request may enqueue, each in a form no worker can read as a local path:
 * URLs (http, https, git, ssh) and scp-like git addresses as given, bare hosts as https URLs, and
 * local paths or file:// URLs only inside `allowedDirectories` (server.crawlDirectories), as their
 * real path. A directory is checked after resolving `..` and symlinks, so neither leads outside it.
 * Relative paths and `~` are refused: they would mean whatever the worker's folder is. One refused
 * target refuses the request, so nothing is enqueued.
 */
export async function admitCrawlTargets(
  targets: readonly string[],
  allowedDirectories: readonly string[],
): Promise<string[]> {
  const admitted: string[] = [];
  for (const target of targets) admitted.push(await admitCrawlTarget(target.trim(), allowedDirectories));
  return admitted;
}

async function admitCrawlTarget(target: string, allowedDirectories: readonly string[]): Promise<string> {
  if (/^file:/i.test(target)) return admitLocalPath(target, fileUrlPath(target), allowedDirectories);
  if (isAddress(target)) {
    if (isScpLikeGit(target)) return target;
    const scheme = `${target.slice(0, target.indexOf(':')).toLowerCase()}:`;
    if (remoteSchemes.has(scheme)) return target;
    throw new ValidationError(
      `crawl target "${target}": ${scheme} URLs are not crawled over HTTP (use http, https, git or ssh)`,
    );
  }
  const url = bareHostUrl(target);
  if (url) return url;
  if (isAbsolute(target)) return admitLocalPath(target, target, allowedDirectories);
  throw new ValidationError(
    `crawl target "${target}" is a relative path or a bare name: over HTTP a target is a URL, a git address or an absolute path in server.crawlDirectories`,
  );
}

function fileUrlPath(target: string): string {
  try {
    return fileURLToPath(target);
  } catch {
    throw new ValidationError(`crawl target "${target}" is not a file URL of this server`);
  }
}

async function admitLocalPath(
  target: string,
  path: string,
  allowedDirectories: readonly string[],
): Promise<string> {
  if (allowedDirectories.length === 0) {
    throw new ValidationError(
      `crawl target "${target}" is a local path: the HTTP API reads no server files unless server.crawlDirectories allows the directory (or run \`twin crawl\` on the server)`,
    );
  }
  const real = await realpath(path).catch(() => null);
  const roots = await Promise.all(
    allowedDirectories.map((directory) => realpath(directory).catch(() => null)),
  );
  if (real !== null && roots.some((root) => root !== null && isInside(real, root))) return real;
  // A path that does not exist is named as missing only when it would have been allowed.
  const lexical = resolve(path);
  if (real === null && allowedDirectories.some((directory) => isInside(lexical, resolve(directory)))) {
    throw new ValidationError(`crawl target "${target}" does not exist on the server`);
  }
  throw new ValidationError(
    `crawl target "${target}" is outside server.crawlDirectories (after resolving .. and symlinks)`,
  );
}

function isInside(path: string, directory: string): boolean {
  const from = relative(directory, path);
  return from === '' || (from !== '..' && !from.startsWith(`..${sep}`) && !isAbsolute(from));
}
