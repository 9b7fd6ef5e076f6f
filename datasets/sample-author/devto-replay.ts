import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** A response of the sample server, before origins are rewritten. */
export type Reply = { status: number; type: string; body: string };

/** The fields the replay needs from the recorded responses; the rest is passed through untouched. */
const ArticleSummary = z.looseObject({
  id: z.number().int(),
  slug: z.string(),
  title: z.string(),
  description: z.string(),
  published_at: z.string(),
  url: z.string(),
  user: z.looseObject({ name: z.string(), username: z.string() }),
});
const ArticleDetail = ArticleSummary.extend({ body_html: z.string(), body_markdown: z.string() });
type ArticleSummary = z.infer<typeof ArticleSummary>;
type ArticleDetail = z.infer<typeof ArticleDetail>;

const json = (status: number, value: unknown): Reply => ({
  status,
  type: 'application/json; charset=utf-8',
  body: JSON.stringify(value),
});
// dev.to answers unknown ids with this body.
const notFound = () => json(404, { error: 'not found', status: 404 });

/**
 * The recorded list, in API order (newest first). It was recorded with per_page=2, so it lives in
 * page files; they are joined here and re-sliced for whatever page/per_page a client asks for.
 */
async function recordedList(root: string, username: string): Promise<ArticleSummary[]> {
  const folder = join(root, 'devto', 'api');
  const pattern = new RegExp(`^articles\\.username=${username}\\.page=(\\d+)\\.per_page=\\d+\\.json$`);
  const pages = (await readdir(folder))
    .map((name) => ({ name, page: Number(pattern.exec(name)?.[1] ?? Number.NaN) }))
    .filter((entry) => !Number.isNaN(entry.page))
    .sort((a, b) => a.page - b.page);
  const all: ArticleSummary[] = [];
  for (const { name } of pages) {
    all.push(...z.array(ArticleSummary).parse(JSON.parse(await readFile(join(folder, name), 'utf8'))));
  }
  return all;
}

async function recordedArticle(root: string, id: string): Promise<ArticleDetail | null> {
  if (!/^\d+$/.test(id)) return null;
  try {
    return ArticleDetail.parse(
      JSON.parse(await readFile(join(root, 'devto', 'api', 'articles', `${id}.json`), 'utf8')),
    );
  } catch {
    return null;
  }
}

function integer(value: string | null, fallback: number, min: number, max: number): number {
  const parsed = value === null ? fallback : Number.parseInt(value, 10);
  return Number.isNaN(parsed) ? fallback : Math.min(max, Math.max(min, parsed));
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function htmlPage(title: string, body: string): Reply {
  return {
    status: 200,
    type: 'text/html; charset=utf-8',
    body: `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} - DEV Community</title><meta property="og:site_name" content="DEV Community"></head>\n<body><header class="crayons-header"><a href="https://dev.to/">DEV Community</a></header>\n<main id="main-content">${body}</main>\n<footer class="crayons-footer">DEV Community — A space to discuss and keep up software development.</footer></body></html>\n`,
  };
}

/**
 * Replays dev.to: `/api/articles?username=&page=&per_page=`, `/api/articles/{id}`,
 * `/api/articles/{username}/{slug}`, and the HTML pages `/{username}` and `/{username}/{slug}`.
 * `path` is the request path on the replica's own origin, as on dev.to itself.
 */
export async function devtoRoute(path: string, query: URLSearchParams, root: string): Promise<Reply | null> {
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'api' && parts[1] === 'articles') {
    if (parts.length === 2) {
      const username = query.get('username');
      if (!username) return json(400, { error: 'username is required in this replay', status: 400 });
      // Same defaults and cap as the real API: 30 per page, at most 1000.
      const perPage = integer(query.get('per_page'), 30, 1, 1000);
      const page = integer(query.get('page'), 1, 1, Number.MAX_SAFE_INTEGER);
      const all = /^[A-Za-z0-9_]+$/.test(username) ? await recordedList(root, username) : [];
      return json(200, all.slice((page - 1) * perPage, page * perPage));
    }
    if (parts.length === 3) {
      const article = await recordedArticle(root, parts[2]!);
      return article ? json(200, article) : notFound();
    }
    if (parts.length === 4) {
      const summary = (await recordedList(root, parts[2]!)).find((entry) => entry.slug === parts[3]);
      const article = summary ? await recordedArticle(root, String(summary.id)) : null;
      return article ? json(200, article) : notFound();
    }
    return notFound();
  }
  if (parts.length === 0 || parts[0] === 'api' || !/^[A-Za-z0-9_]+$/.test(parts[0]!)) return null;
  const list = await recordedList(root, parts[0]!);
  if (list.length === 0) return null;
  if (parts.length === 1) {
    const user = list[0]!.user;
    const items = list
      .map((entry) => `<li><a href="${escapeHtml(entry.url)}">${escapeHtml(entry.title)}</a></li>`)
      .join('');
    return htmlPage(user.name, `<h1>${escapeHtml(user.name)}</h1><ul class="articles">${items}</ul>`);
  }
  const summary = parts.length === 2 ? list.find((entry) => entry.slug === parts[1]) : undefined;
  const article = summary ? await recordedArticle(root, String(summary.id)) : null;
  if (!article) return null;
  return htmlPage(
    article.title,
    `<article class="crayons-article"><header><h1>${escapeHtml(article.title)}</h1><a href="https://dev.to/${article.user.username}">${escapeHtml(article.user.name)}</a> <time datetime="${article.published_at}">${article.published_at.slice(0, 10)}</time></header><div class="crayons-article__body text-styles" id="article-body">${article.body_html}</div></article>`,
  );
}
