import { mapConcurrent } from '../../core/concurrency/map-concurrent.ts';
import { SkipError } from '../../core/errors.ts';
import type { Platform } from '../../core/types/category.ts';
import type { CrawledDocument } from '../../core/types/raw-document.ts';
import { fetchArticle } from './article-crawler.ts';
import { comparable, joinParts, type TitleSource, titleParts } from './article-title.ts';
import { assertTextual } from './assert-textual.ts';
import type { CrawlContext, CrawlOutcome } from './crawler.ts';
import type { ArticleExtractionOptions } from './extract-article.ts';
import { feedEntryDocument } from './feed-entry-document.ts';
import type { FetchedPage } from './http-fetcher.ts';
import { outcomeForError } from './outcome-for-error.ts';
import type { PageCrawler } from './page-crawler.ts';
import { type Feed, type FeedEntry, parseFeed } from './parse-feed.ts';
import { withoutSiteTitleAffixes } from './without-site-title-affixes.ts';

export const feedAccept =
  'application/rss+xml,application/atom+xml,application/rdf+xml;q=0.9,application/xml;q=0.8,text/xml;q=0.8,*/*;q=0.5';

export type FeedCrawlerOptions = {
  name?: string;
  platform?: Platform;
  /**
   * Take the post from the feed when it carries the full text, instead of fetching each page.
   * Right for Medium and Substack, whose feeds hold whole posts and whose pages are script-heavy.
   */
  preferFeedContent?: boolean;
  /** How entry pages are extracted; `removeSelectors` also applies to feed HTML. */
  extraction?: ArticleExtractionOptions;
  /** Last tidy-up of text taken from the feed. */
  cleanFeedText?: (text: string) => string;
  /** Rewrites entry links (dropping tracking parameters, say) before they are used or fetched. */
  normalizeLink?: (link: string) => string;
};

/** RSS 2.0, RSS 1.0 and Atom feeds: each entry's page is fetched and extracted, the feed's copy is the fallback. */
export class FeedCrawler implements PageCrawler {
  readonly name: string;

  constructor(private readonly options: FeedCrawlerOptions = {}) {
    this.name = options.name ?? 'feed';
  }

  async *crawl(target: string, context: CrawlContext): AsyncGenerator<CrawlOutcome> {
    let page: FetchedPage;
    try {
      page = await context.fetcher.fetch(target, { accept: feedAccept, signal: context.signal });
    } catch (error) {
      yield outcomeForError(target, error, context.signal);
      return;
    }
    yield* this.crawlFetched(page, context);
  }

  async *crawlFetched(page: FetchedPage, context: CrawlContext): AsyncGenerator<CrawlOutcome> {
    let feed: Feed | null = null;
    try {
      assertTextual(page, ['xml', 'text', 'html']);
      feed = parseFeed(page.text, page.url);
    } catch (error) {
      if (!(error instanceof SkipError)) throw error;
      yield { kind: 'skipped', url: page.url, reason: error.reason };
      return;
    }
    if (!feed) {
      yield { kind: 'skipped', url: page.url, reason: 'not an RSS or Atom feed' };
      return;
    }
    const { normalizeLink } = this.options;
    const linked = normalizeLink
      ? feed.entries.map((entry) => ({ ...entry, link: entry.link ? normalizeLink(entry.link) : null }))
      : feed.entries;
    const entries = distinctEntries(linked).slice(0, context.config.maxPagesPerSource);
    context.logger.info('feed listed', { feed: page.url, entries: entries.length, of: feed.entries.length });
    context.onDiscovered?.(entries.length);
    const feedRead = feed;
    yield* withoutSiteTitleAffixes(
      mapConcurrent(entries, context.config.concurrency, (entry) =>
        this.entryOutcome(entry, feedRead, page.url, context),
      ),
    );
  }

  private async entryOutcome(
    entry: FeedEntry,
    feed: Feed,
    feedUrl: string,
    context: CrawlContext,
  ): Promise<CrawlOutcome> {
    // Entries taken from the feed never touch the network, so nothing else would notice an abort.
    context.signal.throwIfAborted();
    const platform = this.options.platform ?? 'web';
    const fromFeed = () =>
      feedEntryDocument(entry, feed, feedUrl, {
        platform,
        removeSelectors: this.options.extraction?.removeSelectors,
        cleanText: this.options.cleanFeedText,
      });
    const documentOutcome = (document: CrawledDocument): CrawlOutcome => ({
      kind: 'document',
      document,
      discoveredFrom: feedUrl,
    });

    if (this.options.preferFeedContent && entry.contentHtml) {
      const document = fromFeed();
      if (document) return documentOutcome(document);
    }
    if (!entry.link) {
      const document = fromFeed();
      const where = `${feedUrl}#${entry.id ?? entry.title ?? 'entry'}`;
      return document
        ? documentOutcome(document)
        : { kind: 'skipped', url: where, reason: 'feed entry has no link and no content' };
    }
    const page = await fetchArticle(entry.link, context, { platform, extraction: this.options.extraction });
    if (page.kind === 'document') return documentOutcome(withEntryFacts(page.document, entry));
    const fallback = fromFeed();
    if (!fallback) return page;
    const why = page.kind === 'skipped' ? page.reason : page.error;
    context.logger.info('entry page unusable, using the feed copy', { url: entry.link, why });
    return documentOutcome({ ...fallback, metadata: { ...fallback.metadata, pageError: why } });
  }
}

/**
 * The feed entry's title when the page's unconfirmed title is that title plus a site or section
 * name ("On Focus | A. Author's blog" for the entry "On Focus"), else the page's.
 */
function entryTitle(document: CrawledDocument, entry: FeedEntry): { title: string; source?: TitleSource } {
  if (!document.title) return entry.title ? { title: entry.title, source: 'feed' } : { title: '' };
  const source = document.metadata.titleSource;
  if (!entry.title || source === 'marked' || source === 'heading') return { title: document.title };
  const split = titleParts(document.title);
  const count = split.parts.length;
  const wanted = comparable(entry.title);
  for (let length = count - 1; length >= 1; length -= 1) {
    if (
      comparable(joinParts(split, 0, length)) === wanted ||
      comparable(joinParts(split, count - length, count)) === wanted
    ) {
      return { title: entry.title, source: 'feed' };
    }
  }
  return { title: document.title };
}

/** Fills what the page did not say from the feed entry, which is often more reliable about dates. */
function withEntryFacts(document: CrawledDocument, entry: FeedEntry): CrawledDocument {
  const tags = [...new Set([...asStrings(document.metadata.tags), ...entry.categories])];
  const { title, source } = entryTitle(document, entry);
  return {
    ...document,
    title,
    publishedAt: document.publishedAt ?? entry.publishedAt,
    metadata: {
      ...document.metadata,
      ...(document.metadata.author || !entry.author ? {} : { author: entry.author }),
      ...(tags.length > 0 ? { tags } : {}),
      ...(source ? { titleSource: source } : {}),
    },
  };
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** Feeds repeat entries (updates, cross-posts); keep the first of each link or id. */
function distinctEntries(entries: FeedEntry[]): FeedEntry[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const key = entry.link ?? entry.id ?? entry.title;
    if (!key) return true;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
