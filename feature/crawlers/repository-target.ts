import { basename, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where a repository comes from: a remote to clone over the network, or a folder on this machine. */
export type RepositoryTarget =
  | {
      kind: 'remote';
      /** What git clones. */
      cloneUrl: string;
      /** An http(s) URL on the same host, for the private-network guard. */
      guardUrl: string;
      /** "owner/name" (the last two path segments, `.git` dropped). */
      repository: string;
      /** Base of the stable per-file URLs. */
      webUrl: string;
    }
  | { kind: 'local'; path: string; repository: string };

// scp-like ssh syntax: git@github.com:owner/name.git
const scpLike = /^(?:[\w.-]+@)?([\w.-]+):(?!\/\/)([^\\]+)$/;

/** True when `target` looks like something GitRepositoryCrawler handles. */
export function isRepositoryTarget(target: string): boolean {
  if (/^(ssh|git|file):\/\//i.test(target) || (scpLike.test(target) && !/^[a-z]:/i.test(target))) return true;
  if (/^https?:\/\//i.test(target)) {
    const url = new URL(target);
    return (
      url.pathname.endsWith('.git') || (hostIsForge(url.hostname) && segments(url.pathname).length === 2)
    );
  }
  return false;
}

function hostIsForge(host: string): boolean {
  return host === 'github.com' || host === 'gitlab.com' || host === 'bitbucket.org';
}

function segments(path: string): string[] {
  return path.split('/').filter(Boolean);
}

function nameOf(path: string): string {
  const parts = segments(path.replace(/\.git\/?$/, ''));
  return parts.slice(-2).join('/') || 'repository';
}

function remote(
  host: string,
  path: string,
  cloneUrl: string,
  guardUrl = `https://${host}/`,
): RepositoryTarget {
  const clean = `/${segments(path.replace(/\.git\/?$/, '')).join('/')}`;
  return {
    kind: 'remote',
    cloneUrl,
    guardUrl,
    repository: nameOf(path),
    // The forge's web URL, whatever protocol the clone used, so an ssh and an https crawl of one
    // repository give the same document URLs (and so the same document ids).
    webUrl: `https://${host}${clean}`,
  };
}

/** Classifies a crawl target. Bare `github.com/owner/name` is accepted as shorthand for https. */
export function parseRepositoryTarget(target: string): RepositoryTarget {
  const trimmed = target.trim();
  if (/^(github\.com|gitlab\.com|bitbucket\.org)\//i.test(trimmed))
    return parseRepositoryTarget(`https://${trimmed}`);
  if (/^file:\/\//i.test(trimmed)) {
    const path = fileURLToPath(trimmed);
    return { kind: 'local', path, repository: basename(path).replace(/\.git$/, '') };
  }
  if (/^(https?|ssh|git):\/\//i.test(trimmed)) {
    const url = new URL(trimmed);
    const guardUrl = /^https?:$/.test(url.protocol) ? url.href : `https://${url.host}/`;
    return remote(url.host, url.pathname, url.href, guardUrl);
  }
  const scp = scpLike.exec(trimmed);
  // `C:\work\repo` would also match scp syntax; Windows drive letters are local paths.
  if (scp && !/^[a-z]:/i.test(trimmed)) return remote(scp[1]!, scp[2]!, trimmed);
  const path = resolve(trimmed);
  return { kind: 'local', path, repository: basename(path).replace(/\.git$/, '') };
}

/**
 * A stable URL for one file: `blob/HEAD/...` rather than a commit id, so a re-crawl after new
 * commits updates the same documents instead of adding new ones. GitLab nests it under `/-/`;
 * GitHub, Gitea and most self-hosted forges use the GitHub form.
 */
export function fileUrl(target: RepositoryTarget, path: string): string {
  if (target.kind === 'local') return pathToFileURL(`${target.path}/${path}`).href;
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  const gitlab = new URL(target.webUrl).hostname === 'gitlab.com';
  return `${target.webUrl}${gitlab ? '/-' : ''}/blob/HEAD/${encoded}`;
}

/** A URL for the repository as a whole (for outcomes about more than one file). */
export function repositoryUrl(target: RepositoryTarget): string {
  return target.kind === 'local' ? pathToFileURL(target.path).href : target.webUrl;
}
