import { gunzipSync } from 'node:zlib';
import { mapConcurrent } from '../../core/concurrency/map-concurrent.ts';
import { CrawlError, errorMessage } from '../../core/errors.ts';
import { type ArticlePageOptions, fetchArticle } from './article-crawler.ts';
import { assertTextual } from './assert-textual.ts';
import type { CrawlContext, CrawlOutcome } from './crawler.ts';
import type { FetchedPage } from './http-fetcher.ts';
import { outcomeForError } from './outcome-for-error.ts';
import type { PageCrawler } from './page-crawler.ts';
import { parseSitemap, type Sitemap } from './parse-sitemap.ts';
import { withoutSiteTitleAffixes } from './without-site-title-affixes.ts';

const sitemapAccept = 'application/xml,text/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5';
// Bounds on how far an index may send us, whatever maxPagesPerSource says.
const maxSitemapFiles = 50;
const maxIndexDepth = 3;

/** The sitemap in a fetched body; `.xml.gz` files arrive still gzipped (no Content-Encoding). */
function readSitemap(page: FetchedPage, maxBytes: number): Sitemap | null {
  if (page.body[0] === 0x1f && page.body[1] === 0x8b) {
    let text: string;
    try {
      text = gunzipSync(page.body, { maxOutputLength: maxBytes }).toString('utf8');
    } catch (error) {
      throw new CrawlError(
        page.url,
        `cannot gunzip sitemap (limit ${maxBytes} bytes): ${errorMessage(error)}`,
      );
    }
    return parseSitemap(text, page.url);
  }
  assertTextual(page, ['xml', 'text']);
  return parseSitemap(page.text, page.url);
}

type Pending = { url: string; depth: number; page?: FetchedPage };

/** sitemap.xml and nested sitemap indexes: lists pages up to maxPagesPerSource, then extracts each. */
export class SitemapCrawler implements PageCrawler {
  readonly name = 'sitemap';

  constructor(private readonly options: ArticlePageOptions = {}) {}

  async *crawl(target: string, context: CrawlContext): AsyncGenerator<CrawlOutcome> {
    yield* this.crawlFrom({ url: target, depth: 0 }, context);
  }

  async *crawlFetched(page: FetchedPage, context: CrawlContext): AsyncGenerator<CrawlOutcome> {
    yield* this.crawlFrom({ url: page.url, depth: 0, page }, context);
  }

  private async *crawlFrom(start: Pending, context: CrawlContext): AsyncGenerator<CrawlOutcome> {
    const limit = context.config.maxPagesPerSource;
    // page URL → the sitemap that listed it, reported as `discoveredFrom`.
    const pages = new Map<string, string>();
    const visited = new Set([start.url]);
    const queue: Pending[] = [start];
    for (let next = queue.shift(); next && pages.size < limit; next = queue.shift()) {
      let sitemap: Sitemap | null;
      let sitemapUrl = next.url;
      try {
        const page =
          next.page ??
          (await context.fetcher.fetch(next.url, { accept: sitemapAccept, signal: context.signal }));
        sitemapUrl = page.url;
        visited.add(page.url);
        sitemap = readSitemap(page, context.config.maxPageBytes);
      } catch (error) {
        yield outcomeForError(next.url, error, context.signal);
        continue;
      }
      if (!sitemap) {
        yield { kind: 'skipped', url: sitemapUrl, reason: 'not a sitemap' };
        continue;
      }
      if (sitemap.kind === 'urlset') {
        for (const { loc } of sitemap.urls) {
          if (pages.size >= limit) break;
          if (!pages.has(loc)) pages.set(loc, sitemapUrl);
        }
        continue;
      }
      for (const child of sitemap.sitemaps) {
        if (visited.has(child)) continue;
        if (next.depth + 1 > maxIndexDepth || visited.size >= maxSitemapFiles) {
          context.logger.warn('sitemap index too deep or too large; rest ignored', { sitemap: sitemapUrl });
          break;
        }
        visited.add(child);
        queue.push({ url: child, depth: next.depth + 1 });
      }
    }
    context.logger.info('sitemap listed', { sitemap: start.url, pages: pages.size });
    context.onDiscovered?.(pages.size);
    // The pages of one site: the title suffix they all repeat is the site's name, not theirs.
    yield* withoutSiteTitleAffixes(
      mapConcurrent([...pages], context.config.concurrency, async ([url, sitemapUrl]) => {
        const outcome = await fetchArticle(url, context, this.options);
        return outcome.kind === 'document' ? { ...outcome, discoveredFrom: sitemapUrl } : outcome;
      }),
    );
  }
}
