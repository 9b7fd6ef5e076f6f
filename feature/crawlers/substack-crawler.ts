import type { ArticlePageOptions } from './article-crawler.ts';
import { FeedCrawler } from './feed-crawler.ts';
import { PlatformCrawler } from './platform-crawler.ts';

const substackPost: ArticlePageOptions = {
  platform: 'substack',
  extraction: {
    // The free part of a post; paywalled remainders are simply not in the page.
    contentSelector: '.available-content, .body.markup',
    titleSelector: 'h1.post-title',
    subtitleSelector: 'h3.subtitle',
    removeSelectors: [
      '.subscription-widget-wrap',
      '.subscription-widget-wrap-editor',
      '.subscribe-widget',
      '.button-wrapper',
      '.captioned-button-wrap',
      '.paywall',
      '.paywall-jump',
      '.post-ufi',
      '.share-dialog',
    ],
  },
};

/**
 * The feed for a Substack site URL, or null for anything else. Substack serves every publication's
 * RSS (full free posts in content:encoded) at /feed, on custom domains too.
 */
export function substackFeedUrl(url: URL): string | null {
  const path = url.pathname.replace(/\/+$/, '');
  if (path === '' || path === '/archive') return `${url.origin}/feed`;
  return path === '/feed' ? url.href : null;
}

/**
 * Whether a page is served by Substack, from markers in its HTML: custom domains are common, so
 * the host name alone cannot tell.
 */
export function isSubstackPage(html: string): boolean {
  const head = html.slice(0, 200_000);
  return (
    /<meta\b(?=[^>]*\bname=["']generator["'])(?=[^>]*\bcontent=["']Substack)[^>]*>/i.test(head) ||
    /https:\/\/substackcdn\.com\//.test(head) ||
    /window\._preloads\b[\s\S]{0,2000}substack/i.test(head)
  );
}

/** Substack publications (through their feed) and post pages (`/p/slug`). */
export class SubstackCrawler extends PlatformCrawler {
  constructor() {
    super({
      name: 'substack',
      feeds: new FeedCrawler({
        name: 'substack',
        platform: 'substack',
        preferFeedContent: true,
        extraction: substackPost.extraction,
      }),
      page: substackPost,
      feedUrlOf: substackFeedUrl,
    });
  }
}
