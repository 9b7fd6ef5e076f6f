import { SkipError } from '../../core/errors.ts';
import type { Platform } from '../../core/types/category.ts';
import type { CrawledDocument } from '../../core/types/raw-document.ts';
import { assertTextual } from './assert-textual.ts';
import type { CrawlContext, CrawlOutcome } from './crawler.ts';
import { type ArticleExtractionOptions, type ExtractedArticle, extractArticle } from './extract-article.ts';
import type { FetchedPage } from './http-fetcher.ts';
import { outcomeForError } from './outcome-for-error.ts';
import type { PageCrawler } from './page-crawler.ts';

export type ArticlePageOptions = {
  /** Where the article was published; `web` for any site without its own crawler. */
  platform?: Platform;
  extraction?: ArticleExtractionOptions;
};

export const htmlAccept = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.5';

/** Drops empty values so documents carry only facts the page really stated. */
export function compactMetadata(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).filter(
      ([, value]) =>
        value !== null &&
        value !== undefined &&
        value !== '' &&
        !(Array.isArray(value) && value.length === 0),
    ),
  );
}

/** The raw document for an extracted article. */
export function articleDocument(
  article: ExtractedArticle,
  sourceUrl: string,
  platform: Platform,
): CrawledDocument {
  return {
    category: 'article',
    platform,
    sourceUrl,
    canonicalUrl: article.canonicalUrl,
    title: article.title,
    content: article.content,
    publishedAt: article.publishedAt,
    metadata: compactMetadata({
      author: article.author,
      subtitle: article.subtitle,
      titleSource: article.titleSource,
      siteName: article.siteName,
      language: article.language,
      description: article.description,
      modifiedAt: article.modifiedAt,
      tags: article.tags,
      links: article.links,
      images: article.images,
      contentSource: 'page',
    }),
  };
}

/** Turns a fetched page into a document, or a skip saying why it has none (not HTML, empty). */
export function articleOutcome(page: FetchedPage, options: ArticlePageOptions = {}): CrawlOutcome {
  try {
    assertTextual(page, ['html']);
  } catch (error) {
    if (error instanceof SkipError) return { kind: 'skipped', url: page.url, reason: error.reason };
    throw error;
  }
  const article = extractArticle(page.text, page.url, options.extraction);
  if (!article) return { kind: 'skipped', url: page.url, reason: 'no extractable content' };
  return { kind: 'document', document: articleDocument(article, page.url, options.platform ?? 'web') };
}

/** Fetches `url` and extracts its article; failures become outcomes, never exceptions (except aborts). */
export async function fetchArticle(
  url: string,
  context: CrawlContext,
  options: ArticlePageOptions = {},
): Promise<CrawlOutcome> {
  try {
    const page = await context.fetcher.fetch(url, { accept: htmlAccept, signal: context.signal });
    return articleOutcome(page, options);
  } catch (error) {
    return outcomeForError(url, error, context.signal);
  }
}

/** Any blog post or article page, extracted with Readability. */
export class ArticleCrawler implements PageCrawler {
  readonly name = 'article';

  constructor(private readonly options: ArticlePageOptions = {}) {}

  async *crawl(target: string, context: CrawlContext): AsyncGenerator<CrawlOutcome> {
    yield await fetchArticle(target, context, this.options);
  }

  async *crawlFetched(page: FetchedPage, _context: CrawlContext): AsyncGenerator<CrawlOutcome> {
    yield articleOutcome(page, this.options);
  }
}
