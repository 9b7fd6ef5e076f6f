import type { CrawlContext, Crawler, CrawlOutcome } from './crawler.ts';
import type { FetchedPage } from './http-fetcher.ts';

/**
 * A crawler that can also start from a page already fetched, so the web crawler can sniff a
 * response and hand it over without fetching the URL twice.
 */
export interface PageCrawler extends Crawler {
  crawlFetched(page: FetchedPage, context: CrawlContext): AsyncIterable<CrawlOutcome>;
}
