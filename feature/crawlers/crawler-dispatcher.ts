import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CrawlError } from '../../core/errors.ts';
import { bareHostUrl, isAddress, isScpLikeGit } from '../../core/jobs/crawl-target.ts';
import type { CrawlSource } from '../../core/jobs/job-contracts.ts';
import { ArticleCrawler } from './article-crawler.ts';
import type { Crawler } from './crawler.ts';
import { DevtoCrawler } from './devto-crawler.ts';
import { FeedCrawler } from './feed-crawler.ts';
import { GitRepositoryCrawler } from './git-repository-crawler.ts';
import { LinkedInExportCrawler } from './linkedin-export-crawler.ts';
import { MediumCrawler } from './medium-crawler.ts';
import { SitemapCrawler } from './sitemap-crawler.ts';
import { SubstackCrawler } from './substack-crawler.ts';
import { WebCrawler } from './web-crawler.ts';

/** A crawler for an explicitly named source; `web` means "a page", with no sniffing. */
function crawlerForSource(source: CrawlSource): Crawler {
  switch (source) {
    case 'web':
      return new ArticleCrawler();
    case 'feed':
      return new FeedCrawler();
    case 'sitemap':
      return new SitemapCrawler();
    case 'medium':
      return new MediumCrawler();
    case 'substack':
      return new SubstackCrawler();
    case 'devto':
      return new DevtoCrawler();
    case 'github':
      return new GitRepositoryCrawler();
    case 'linkedin':
      return new LinkedInExportCrawler();
  }
}

/** The local path a target names (a path, `~/…`, or a file:// URL), or null when it is not local. */
export function localPath(target: string): string | null {
  if (target.startsWith('file://')) return fileURLToPath(target);
  if (isAddress(target)) return null;
  if (/^(\/|\.{1,2}(\/|$)|~(\/|$))/.test(target)) {
    return target.startsWith('~') ? join(homedir(), target.slice(1)) : resolve(target);
  }
  // A bare word may still be a folder in the working directory ("my-export").
  return existsSync(target) ? resolve(target) : null;
}

function crawlerForLocalPath(path: string, target: string): Crawler {
  if (!existsSync(path)) throw new CrawlError(target, `no such file or directory: ${path}`);
  const stats = statSync(path);
  if (stats.isFile()) {
    if (path.toLowerCase().endsWith('.zip')) return new LinkedInExportCrawler();
    throw new CrawlError(target, 'unsupported local file (expected a LinkedIn export .zip or a directory)');
  }
  const isDirectory = (name: string) =>
    existsSync(join(path, name)) && statSync(join(path, name)).isDirectory();
  if (existsSync(join(path, 'Shares.csv')) || isDirectory('Articles')) return new LinkedInExportCrawler();
  return new GitRepositoryCrawler();
}

/** Whether a URL points at a git repository rather than a web page. */
function isGitUrl(target: string, url: URL | null): boolean {
  if (isScpLikeGit(target) || /^(git|ssh|git\+ssh):\/\//i.test(target)) return true;
  if (!url) return false;
  if (url.pathname.replace(/\/+$/, '').endsWith('.git')) return true;
  const host = url.hostname.replace(/^www\./, '');
  return host === 'github.com' || host === 'gitlab.com';
}

/** A target written without a scheme ("example.com/blog") is an https URL. */
export function normalizeTarget(target: string): string {
  const trimmed = target.trim();
  if (isAddress(trimmed) || localPath(trimmed) !== null) return trimmed;
  return bareHostUrl(trimmed) ?? trimmed;
}

/** Passes the normalized target to `crawler`, for callers that hand over what the user typed. */
function withTarget(crawler: Crawler, normalized: string, original: string): Crawler {
  if (normalized === original) return crawler;
  return {
    name: crawler.name,
    crawl: (target, context) => crawler.crawl(target === original ? normalized : target, context),
  };
}

/**
 * Picks the crawler for a target. An explicit `source` wins. Otherwise: local folders are git
 * repositories unless they look like a LinkedIn export (Shares.csv or Articles/), as do .zip
 * files; github.com, gitlab.com and *.git URLs are repositories; medium.com, *.substack.com and
 * dev.to have their own crawlers; anything else is fetched once and sniffed by `WebCrawler`.
 */
export function selectCrawler(target: string, options: { source?: CrawlSource } = {}): Crawler {
  const normalized = normalizeTarget(target);
  if (options.source) return withTarget(crawlerForSource(options.source), normalized, target);
  const path = localPath(normalized);
  if (path !== null) return crawlerForLocalPath(path, target);

  let url: URL | null = null;
  try {
    url = new URL(normalized);
  } catch {
    // Not a URL: only the git forms below, or an error.
  }
  if (isGitUrl(normalized, url)) return new GitRepositoryCrawler();
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new CrawlError(target, 'not a URL, a git address or an existing local path');
  }
  const host = url.hostname.toLowerCase();
  const crawler =
    host === 'medium.com' || host.endsWith('.medium.com')
      ? new MediumCrawler()
      : host.endsWith('.substack.com') || host === 'substack.com'
        ? new SubstackCrawler()
        : host === 'dev.to' || host === 'www.dev.to'
          ? new DevtoCrawler()
          : new WebCrawler();
  return withTarget(crawler, normalized, target);
}
