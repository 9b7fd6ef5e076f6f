import { ArticleCrawler } from './article-crawler.ts';
import { contentKind, xmlRootName } from './assert-textual.ts';
import type { CrawlContext, CrawlOutcome } from './crawler.ts';
import { parseHtmlDocument } from './extract-article.ts';
import { FeedCrawler } from './feed-crawler.ts';
import type { FetchedPage } from './http-fetcher.ts';
import { isMediumPage, MediumCrawler } from './medium-crawler.ts';
import type { PageCrawler } from './page-crawler.ts';
import { readPageMetadata } from './page-metadata.ts';
import { fetchAndCrawl } from './platform-crawler.ts';
import { SitemapCrawler } from './sitemap-crawler.ts';
import { isSubstackPage, SubstackCrawler } from './substack-crawler.ts';

export type PageKind = 'feed' | 'sitemap' | 'medium' | 'substack' | 'article';

/** What a fetched response is: a feed, a sitemap, a Medium or Substack page, or any other page. */
export function sniffPage(page: FetchedPage): PageKind {
  const kind = contentKind(page);
  if (kind === 'xml' || kind === 'text') {
    const root = xmlRootName(page.text);
    if (root === 'rss' || root === 'feed' || root === 'rdf') return 'feed';
    if (root === 'urlset' || root === 'sitemapindex') return 'sitemap';
  }
  if (kind === 'html') {
    if (isMediumPage(page.text)) return 'medium';
    if (isSubstackPage(page.text)) return 'substack';
  }
  return 'article';
}

function isSiteRoot(url: string): boolean {
  return new URL(url).pathname.replace(/\/+$/, '') === '';
}

/**
 * Any URL without a dedicated crawler: fetched once, sniffed, and handed with the response to the
 * crawler that fits. A site's home page that advertises a feed is crawled through the feed, since
 * the home page itself is a list of posts, not a post.
 */
export class WebCrawler implements PageCrawler {
  readonly name = 'web';
  private readonly crawlers = {
    article: new ArticleCrawler(),
    feed: new FeedCrawler(),
    sitemap: new SitemapCrawler(),
    medium: new MediumCrawler(),
    substack: new SubstackCrawler(),
  } satisfies Record<PageKind, PageCrawler>;

  crawl(target: string, context: CrawlContext): AsyncGenerator<CrawlOutcome> {
    return fetchAndCrawl(this, target, context);
  }

  async *crawlFetched(page: FetchedPage, context: CrawlContext): AsyncGenerator<CrawlOutcome> {
    const kind = sniffPage(page);
    const root = isSiteRoot(page.url);
    context.logger.info('web target sniffed', { url: page.url, as: kind });
    if (root && (kind === 'medium' || kind === 'substack')) {
      // Their crawlers map a site root to its feed.
      yield* this.crawlers[kind].crawl(page.url, context);
      return;
    }
    if (root && kind === 'article' && contentKind(page) === 'html') {
      const { document, baseUrl } = parseHtmlDocument(page.text, page.url);
      const [feed] = readPageMetadata(document, baseUrl).feeds;
      if (feed) {
        context.logger.info('home page advertises a feed; crawling it instead', { url: page.url, feed });
        yield* this.crawlers.feed.crawl(feed, context);
        return;
      }
    }
    yield* this.crawlers[kind].crawlFetched(page, context);
  }
}
