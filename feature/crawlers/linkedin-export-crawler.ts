import { load } from 'cheerio';
import { z } from 'zod';
import { CrawlError, errorMessage } from '../../core/errors.ts';
import type { ArticleDocument, PostDocument } from '../../core/types/raw-document.ts';
import type { CrawlContext, Crawler, CrawlOutcome } from './crawler.ts';
import { parseCsvRecords } from './csv.ts';
import { type LinkedInExport, openLinkedInExport } from './linkedin-export-source.ts';

type Crawled<T> = Omit<T, 'id' | 'contentHash' | 'authorId' | 'fetchedAt'>;

/** One row of Shares.csv, under LinkedIn's own header. Columns after ShareCommentary may be absent. */
const ShareRow = z.object({
  Date: z.string(),
  ShareLink: z.string(),
  ShareCommentary: z.string(),
  SharedUrl: z.string().default(''),
  MediaUrl: z.string().default(''),
  Visibility: z.string().default(''),
});
const requiredColumns = ['Date', 'ShareLink', 'ShareCommentary'];

const utf8 = new TextDecoder('utf-8');

/**
 * Imports a LinkedIn data export (the .zip LinkedIn emails, or its extracted folder): every share
 * with text in Shares.csv becomes a `post`, every file in Articles/ an `article`. LinkedIn offers no
 * API for one's own posts, so the export is the only faithful source.
 */
export class LinkedInExportCrawler implements Crawler {
  readonly name = 'linkedin';

  async *crawl(target: string, context: CrawlContext): AsyncIterable<CrawlOutcome> {
    const source = await openLinkedInExport(target);
    const shares = source.sharesPath ? readShares(target, source, source.sharesPath) : [];
    context.onDiscovered?.(shares.length + source.articlePaths.length);
    for (const share of shares) {
      context.signal.throwIfAborted();
      yield shareOutcome(share, source);
    }
    for (const path of source.articlePaths) {
      context.signal.throwIfAborted();
      try {
        yield articleOutcome(utf8.decode(source.read(path)), path, source);
      } catch (error) {
        yield { kind: 'failed', url: source.locate(path), error: errorMessage(error) };
      }
    }
  }
}

type Share = z.infer<typeof ShareRow> & { row: number; sharesPath: string };

function readShares(target: string, source: LinkedInExport, sharesPath: string): Share[] {
  let parsed: ReturnType<typeof parseCsvRecords>;
  try {
    parsed = parseCsvRecords(utf8.decode(source.read(sharesPath)));
  } catch (error) {
    throw new CrawlError(target, `${sharesPath} is not valid CSV: ${errorMessage(error)}`, { cause: error });
  }
  const missing = requiredColumns.filter((column) => !parsed.columns.includes(column));
  if (missing.length > 0) {
    throw new CrawlError(target, `${sharesPath} lacks LinkedIn's column(s) ${missing.join(', ')}`);
  }
  // Row numbers count the header as row 1, as a spreadsheet shows them.
  return parsed.records.map((record, index) => ({ ...ShareRow.parse(record), row: index + 2, sharesPath }));
}

function shareOutcome(share: Share, source: LinkedInExport): CrawlOutcome {
  const url = share.ShareLink.trim() || `${source.locate(share.sharesPath)}#row=${share.row}`;
  // CRLF inside a quoted field is a Windows artefact, not the author's formatting.
  const content = share.ShareCommentary.replace(/\r\n?/g, '\n').trim();
  if (content === '') {
    const reason = share.SharedUrl.trim()
      ? `reshare of ${share.SharedUrl.trim()} without commentary`
      : 'share without commentary';
    return { kind: 'skipped', url, reason };
  }
  const document: Crawled<PostDocument> = {
    category: 'post',
    platform: 'linkedin',
    sourceUrl: url,
    canonicalUrl: share.ShareLink.trim() || null,
    title: titleFrom(content),
    content,
    publishedAt: linkedInDate(share.Date),
    metadata: {
      visibility: share.Visibility || null,
      sharedUrl: share.SharedUrl.trim() || null,
      mediaUrl: share.MediaUrl.trim() || null,
      hashtags: [...new Set(content.match(/#[\p{L}\p{N}_]+/gu) ?? [])],
      exportFile: share.sharesPath,
      exportRow: share.row,
    },
  };
  return { kind: 'document', document, discoveredFrom: source.locate(share.sharesPath) };
}

/** The first line of a post, cut at a word boundary near 80 characters. */
export function titleFrom(text: string, max = 80): string {
  const line =
    text
      .split('\n')
      .find((candidate) => candidate.trim() !== '')
      ?.trim() ?? '';
  if (line.length <= max) return line;
  const cut = line.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** LinkedIn writes export dates as `2023-09-14 07:12:44` in UTC; returns ISO 8601, or null. */
export function linkedInDate(value: string): string | null {
  const match = /(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(value);
  if (!match) return null;
  const [, year, month, day, hour = '0', minute = '0', second = '0'] = match;
  const date = new Date(Date.UTC(+year!, +month! - 1, +day!, +hour, +minute, +second));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

const blockTags = 'p, h1, h2, h3, h4, h5, h6, li, blockquote, pre';

function articleOutcome(html: string, path: string, source: LinkedInExport): CrawlOutcome {
  const $ = load(html);
  const location = source.locate(path);
  const heading = $('h1').first();
  const title = heading.text().trim() || $('title').first().text().trim();
  const link = heading.find('a[href]').attr('href')?.trim() || null;
  const createdAt = linkedInDate($('.created').first().text());
  const published = $('.published').first();
  const publishedAt = linkedInDate(published.text());
  const url = link ?? location;
  // An export also lists drafts: they carry a "Created on" line but were never published.
  if (published.length === 0 && createdAt)
    return { kind: 'skipped', url, reason: 'unpublished draft article' };

  $('head, script, style, h1, .created, .published').remove();
  const blocks: string[] = [];
  $('body')
    .find(blockTags)
    .each((_, element) => {
      const node = $(element);
      // Leaves only: an <li> holding a <p> is written once, through its <p>.
      if (node.find(blockTags).length > 0) return;
      const raw =
        element.tagName === 'pre' ? node.text().replace(/\n+$/, '') : node.text().replace(/\s+/g, ' ').trim();
      if (raw === '') return;
      const list = node.closest('li');
      if (list.length === 0) {
        blocks.push(raw);
      } else {
        const ordered = list.parent().is('ol');
        blocks.push(`${ordered ? `${list.index() + 1}.` : '-'} ${raw}`);
      }
    });
  const content = (blocks.length > 0 ? blocks.join('\n\n') : $('body').text().replace(/\s+/g, ' ')).trim();
  if (content === '') return { kind: 'skipped', url, reason: 'article without text' };
  const document: Crawled<ArticleDocument> = {
    category: 'article',
    platform: 'linkedin',
    sourceUrl: url,
    canonicalUrl: link,
    title,
    content,
    publishedAt: publishedAt ?? createdAt,
    metadata: { createdAt, exportFile: path, location },
  };
  return { kind: 'document', document, discoveredFrom: location };
}
