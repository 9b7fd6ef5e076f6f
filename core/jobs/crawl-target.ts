const schemeUrl = /^[a-z][a-z0-9+.-]*:\/\//i;
// scp-like git addresses: git@github.com:user/repo.git
const scpLikeGit = /^[\w.-]+@[\w.-]+:(?!\/\/)/;
const bareHost = /^[\w-]+(\.[\w-]+)+(:\d+)?(\/|$)/;

/** Whether a target is a scp-like git address (`git@github.com:user/repo.git`). */
export function isScpLikeGit(target: string): boolean {
  return scpLikeGit.test(target);
}

/**
 * Whether a crawl target is written as an address (a URL with a scheme, file:// included, or a
 * scp-like git address) rather than as a path or a bare host.
 */
export function isAddress(target: string): boolean {
  return schemeUrl.test(target) || scpLikeGit.test(target);
}

/** The https URL a bare host ("example.com/blog") stands for; null when the target is not one. */
export function bareHostUrl(target: string): string | null {
  return bareHost.test(target) ? `https://${target}` : null;
}
