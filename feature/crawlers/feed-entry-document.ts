import { parseHTML } from 'linkedom';
import type { Platform } from '../../core/types/category.ts';
import type { CrawledDocument } from '../../core/types/raw-document.ts';
import { compactMetadata } from './article-crawler.ts';
import { withoutRepeatedTitle } from './extract-article.ts';
import { htmlToText } from './html-to-text.ts';
import type { Feed, FeedEntry } from './parse-feed.ts';

export type FeedContentOptions = {
  platform: Platform;
  /** Platform chrome inside feed HTML (subscribe buttons...), dropped before rendering. */
  removeSelectors?: readonly string[];
  /** Last tidy-up of the rendered text (Medium's "originally published" footer). */
  cleanText?: (text: string) => string;
};

/**
 * A document built from the feed's own copy of the post: the full content when the feed carries
 * it, else its summary (flagged in metadata, since a summary is not the whole text). Null when the
 * entry has neither.
 */
export function feedEntryDocument(
  entry: FeedEntry,
  feed: Feed,
  feedUrl: string,
  options: FeedContentOptions,
): CrawledDocument | null {
  const html = entry.contentHtml ?? entry.summaryHtml;
  if (!html) return null;
  const { document } = parseHTML(`<!DOCTYPE html><html><body>${html}</body></html>`);
  for (const selector of options.removeSelectors ?? []) {
    for (const element of Array.from(document.querySelectorAll(selector))) element.remove();
  }
  const rendered = htmlToText(document.body, entry.link ?? feedUrl);
  const text = withoutRepeatedTitle(rendered.text, entry.title ?? '');
  const content = (options.cleanText ? options.cleanText(text) : text).trim();
  if (content === '') return null;
  return {
    category: 'article',
    platform: options.platform,
    sourceUrl: entry.link ?? feedUrl,
    canonicalUrl: entry.link,
    title: entry.title ?? '',
    content,
    publishedAt: entry.publishedAt,
    metadata: compactMetadata({
      author: entry.author,
      tags: entry.categories,
      links: rendered.links,
      images: rendered.images,
      feedUrl,
      feedTitle: feed.title,
      entryId: entry.id,
      contentSource: entry.contentHtml ? 'feed' : 'feed-summary',
    }),
  };
}
