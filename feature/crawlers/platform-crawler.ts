import { type ArticlePageOptions, articleOutcome, htmlAccept } from './article-crawler.ts';
import { contentKind } from './assert-textual.ts';
import type { CrawlContext, CrawlOutcome } from './crawler.ts';
import { type FeedCrawler, feedAccept } from './feed-crawler.ts';
import { assertAllowedUrl } from './host-guard.ts';
import type { FetchedPage } from './http-fetcher.ts';
import { outcomeForError } from './outcome-for-error.ts';
import type { PageCrawler } from './page-crawler.ts';

/** Fetches a target as a page or a feed and hands the response to the crawler's `crawlFetched`. */
export async function* fetchAndCrawl(
  crawler: PageCrawler,
  target: string,
  context: CrawlContext,
): AsyncGenerator<CrawlOutcome> {
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
  yield* crawler.crawlFetched(page, context);
}

export type PlatformCrawlerOptions = {
  name: string;
  feeds: FeedCrawler;
  page: ArticlePageOptions;
  /** The feed behind a profile or publication URL; null for a single post. */
  feedUrlOf: (url: URL) => string | null;
};

/**
 * A publishing platform with feeds and post pages (Medium, Substack): profile and publication URLs
 * go through their feed, which carries the full posts; single post URLs are extracted as pages.
 */
export class PlatformCrawler implements PageCrawler {
  readonly name: string;

  constructor(private readonly options: PlatformCrawlerOptions) {
    this.name = options.name;
  }

  async *crawl(target: string, context: CrawlContext): AsyncGenerator<CrawlOutcome> {
    let feedUrl: string | null;
    try {
      feedUrl = this.options.feedUrlOf(assertAllowedUrl(target, context.config));
    } catch (error) {
      yield outcomeForError(target, error, context.signal);
      return;
    }
    if (feedUrl) yield* this.options.feeds.crawl(feedUrl, context);
    else yield* fetchAndCrawl(this, target, context);
  }

  async *crawlFetched(page: FetchedPage, context: CrawlContext): AsyncGenerator<CrawlOutcome> {
    if (contentKind(page) === 'xml') yield* this.options.feeds.crawlFetched(page, context);
    else yield articleOutcome(page, this.options.page);
  }
}
