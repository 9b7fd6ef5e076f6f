import { type ArticlePageOptions, articleOutcome, htmlAccept } from './article-crawler.ts';
import { contentKind } from './assert-textual.ts';
import type { CrawlContext, CrawlOutcome } from './crawler.ts';
import { FeedCrawler, feedAccept } from './feed-crawler.ts';
import { assertAllowedUrl } from './host-guard.ts';
import type { FetchedPage } from './http-fetcher.ts';
import { outcomeForError } from './outcome-for-error.ts';
import type { PageCrawler } from './page-crawler.ts';

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
export class SubstackCrawler implements PageCrawler {
  readonly name = 'substack';
  private readonly feeds = new FeedCrawler({
    name: 'substack',
    platform: 'substack',
    preferFeedContent: true,
    extraction: substackPost.extraction,
  });

  async *crawl(target: string, context: CrawlContext): AsyncGenerator<CrawlOutcome> {
    let feedUrl: string | null;
    try {
      feedUrl = substackFeedUrl(assertAllowedUrl(target, context.config));
    } catch (error) {
      yield outcomeForError(target, error, context.signal);
      return;
    }
    if (feedUrl) {
      yield* this.feeds.crawl(feedUrl, context);
      return;
    }
    let page: FetchedPage;
    try {
      page = await context.fetcher.fetch(target, {
        accept: `${htmlAccept},${feedAccept}`,
        signal: context.signal,
      });
    } catch (error) {
      yield outcomeForError(target, error, context.signal);
      return;
    }
    yield* this.crawlFetched(page, context);
  }

  async *crawlFetched(page: FetchedPage, context: CrawlContext): AsyncGenerator<CrawlOutcome> {
    if (contentKind(page) === 'xml') yield* this.feeds.crawlFetched(page, context);
    else yield articleOutcome(page, substackPost);
  }
}
