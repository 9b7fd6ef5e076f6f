import { describeFetchFailure } from '../../http/describe-fetch-failure.ts';
import { DownloadError } from './download-file.ts';

/**
 * The commit a Hugging Face `resolve/` URL serves, from the `X-Repo-Commit` header of a HEAD
 * request (what `huggingface_hub` reads too), or null when the server does not say. Redirects are
 * not followed: the header is on the hub's answer, not on the content host's.
 */
export async function fetchRepoCommit(url: string): Promise<string | null> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'HEAD', redirect: 'manual' });
  } catch (error) {
    throw new DownloadError(`HEAD ${url} failed: ${describeFetchFailure(error)}`, { cause: error });
  }
  await response.body?.cancel();
  if (response.status >= 400) {
    throw new DownloadError(`HEAD ${url} answered ${response.status} ${response.statusText}`.trim(), {
      status: response.status,
    });
  }
  const commit = response.headers.get('x-repo-commit');
  return commit && /^[0-9a-f]{40}$/.test(commit) ? commit : null;
}
