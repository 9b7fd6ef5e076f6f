import { z } from 'zod';
import { mapConcurrent } from '../../core/concurrency/map-concurrent.ts';
import { CrawlError, errorMessage } from '../../core/errors.ts';
import type { CrawledDocument } from '../../core/types/raw-document.ts';
import { compactMetadata } from './article-crawler.ts';
import { assertTextual } from './assert-textual.ts';
import type { CrawlContext, Crawler, CrawlOutcome } from './crawler.ts';
import { assertAllowedUrl } from './host-guard.ts';
import { outcomeForError } from './outcome-for-error.ts';
import { toIsoDate } from './page-metadata.ts';

// Minimal shapes of dev.to's public API (https://developers.forem.com/api/v1): only what we read.
// The list endpoint returns `tag_list` as an array, the single-article endpoint as a string.
const TagList = z.union([z.array(z.string()), z.string()]);
const ListedArticle = z.object({ id: z.number().int(), url: z.string() });
const ArticleList = z.array(ListedArticle);
const Article = z.object({
  id: z.number().int(),
  title: z.string(),
  description: z.string().nullish(),
  url: z.string(),
  canonical_url: z.string().nullish(),
  published_at: z.string().nullish(),
  tag_list: TagList.nullish(),
  tags: TagList.nullish(),
  body_markdown: z.string(),
  reading_time_minutes: z.number().nullish(),
  positive_reactions_count: z.number().nullish(),
  user: z.object({ name: z.string(), username: z.string() }),
});
type Article = z.infer<typeof Article>;

export type DevtoCrawlerOptions = {
  /** Articles asked per list page (dev.to allows up to 1000). */
  perPage?: number;
};

/** A dev.to target: a user's articles, or one article by path. */
export function parseDevtoTarget(target: string): { username: string; slug: string | null } {
  const url = new URL(target);
  const [username, slug] = url.pathname.split('/').filter(Boolean);
  if (!username)
    throw new CrawlError(target, 'expected https://dev.to/USERNAME or https://dev.to/USERNAME/POST-SLUG');
  return { username, slug: slug ?? null };
}

function tags(article: Article): string[] {
  const list = Array.isArray(article.tags) ? article.tags : (article.tag_list ?? article.tags ?? []);
  return (Array.isArray(list) ? list : list.split(',')).map((tag) => tag.trim()).filter(Boolean);
}

/** Posts written with dev.to's v1 editor carry their settings as YAML front matter in the body. */
function withoutFrontMatter(markdown: string): string {
  return markdown.replace(/^\uFEFF?---\r?\n[\s\S]*?\r?\n---[ \t]*(\r?\n|$)/, '').trim();
}

function devtoDocument(article: Article): CrawledDocument {
  return {
    category: 'article',
    platform: 'devto',
    sourceUrl: article.url,
    canonicalUrl: article.canonical_url ?? article.url,
    title: article.title,
    content: withoutFrontMatter(article.body_markdown),
    publishedAt: toIsoDate(article.published_at),
    metadata: compactMetadata({
      author: article.user.name,
      username: article.user.username,
      description: article.description,
      tags: tags(article),
      devtoId: article.id,
      readingTimeMinutes: article.reading_time_minutes,
      reactions: article.positive_reactions_count,
      contentFormat: 'markdown',
      contentSource: 'api',
    }),
  };
}

/** dev.to authors through the public articles API: list by username (paginated), then each body_markdown. */
export class DevtoCrawler implements Crawler {
  readonly name = 'devto';

  constructor(private readonly options: DevtoCrawlerOptions = {}) {}

  async *crawl(target: string, context: CrawlContext): AsyncGenerator<CrawlOutcome> {
    let username: string;
    let slug: string | null;
    try {
      ({ username, slug } = parseDevtoTarget(assertAllowedUrl(target, context.config).href));
    } catch (error) {
      yield outcomeForError(target, error, context.signal);
      return;
    }
    const api = context.config.devtoApiBase.replace(/\/+$/, '');
    if (slug) {
      yield await this.articleOutcome(
        `${api}/articles/${encodeURIComponent(username)}/${encodeURIComponent(slug)}`,
        target,
        context,
      );
      return;
    }
    let listed: Array<z.infer<typeof ListedArticle>>;
    try {
      listed = await this.list(api, username, context);
    } catch (error) {
      yield outcomeForError(target, error, context.signal);
      return;
    }
    context.logger.info('dev.to articles listed', { username, articles: listed.length });
    context.onDiscovered?.(listed.length);
    const listing = `${api}/articles?username=${encodeURIComponent(username)}`;
    yield* mapConcurrent(listed, context.config.concurrency, (article) =>
      this.articleOutcome(`${api}/articles/${article.id}`, article.url, context, listing),
    );
  }

  private async list(api: string, username: string, context: CrawlContext) {
    const limit = context.config.maxPagesPerSource;
    const perPage = Math.min(this.options.perPage ?? 100, 1000);
    const articles: Array<z.infer<typeof ListedArticle>> = [];
    const seen = new Set<number>();
    for (let page = 1; articles.length < limit; page += 1) {
      const url = `${api}/articles?username=${encodeURIComponent(username)}&per_page=${perPage}&page=${page}`;
      const batch = await fetchJson(url, ArticleList, context);
      for (const article of batch) {
        if (articles.length < limit && !seen.has(article.id)) articles.push(article);
        seen.add(article.id);
      }
      if (batch.length < perPage) break;
    }
    return articles;
  }

  private async articleOutcome(
    apiUrl: string,
    pageUrl: string,
    context: CrawlContext,
    discoveredFrom?: string,
  ): Promise<CrawlOutcome> {
    try {
      const document = devtoDocument(await fetchJson(apiUrl, Article, context));
      if (document.content === '') return { kind: 'skipped', url: pageUrl, reason: 'no extractable content' };
      return discoveredFrom ? { kind: 'document', document, discoveredFrom } : { kind: 'document', document };
    } catch (error) {
      return outcomeForError(pageUrl, error, context.signal);
    }
  }
}

async function fetchJson<T>(url: string, schema: z.ZodType<T>, context: CrawlContext): Promise<T> {
  // A documented public API: its terms, not the site's robots.txt, govern access.
  const page = await context.fetcher.fetch(url, {
    accept: 'application/json',
    robots: false,
    signal: context.signal,
  });
  assertTextual(page, ['json']);
  let body: unknown;
  try {
    body = JSON.parse(page.text);
  } catch (error) {
    throw new CrawlError(url, `invalid JSON from the dev.to API: ${errorMessage(error)}`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new CrawlError(url, `unexpected dev.to API response (${problems.join('; ')})`);
  }
  return parsed.data;
}
