import type { CrawlerConfig } from '../../core/config/config-schema.ts';
import type { Logger } from '../../core/logger.ts';
import type { CrawledDocument } from '../../core/types/raw-document.ts';
import type { HttpFetcher } from './http-fetcher.ts';

/** One thing a crawl produced: a document, or a page it skipped or failed on (with why). */
export type CrawlOutcome =
  | { kind: 'document'; document: CrawledDocument; discoveredFrom?: string }
  | { kind: 'skipped'; url: string; reason: string }
  | { kind: 'failed'; url: string; error: string };

export type CrawlContext = {
  fetcher: HttpFetcher;
  config: CrawlerConfig;
  logger: Logger;
  signal: AbortSignal;
  /** Called when a source learns how many pages it will visit (feeds, sitemaps, repositories). */
  onDiscovered?: (count: number) => void;
};

/** A crawler for one kind of source. The dispatcher picks one per target. */
export interface Crawler {
  readonly name: string;
  crawl(target: string, context: CrawlContext): AsyncIterable<CrawlOutcome>;
}
