import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'cheerio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseCsvRecords } from '../../feature/crawlers/csv.ts';
import { makeSampleRepository } from './make-sample-repo.ts';
import { sampleAuthorDirectory } from './sample-author.ts';
import { type SampleSites, startSampleSites } from './serve-sample-sites.ts';

let sites: SampleSites;
let workspace: string;

beforeAll(async () => {
  sites = await startSampleSites({ benchPages: 5 });
  workspace = await mkdtemp(join(tmpdir(), 'sample-author-test-'));
});
afterAll(async () => {
  await sites.close();
  await rm(workspace, { recursive: true, force: true });
});

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
const pageText = (html: string, selector = 'body') => {
  const $ = load(html);
  $('script, style').remove();
  return $(selector).text().replace(/\s+/g, ' ').trim();
};

async function get(url: string) {
  const response = await fetch(url);
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: await response.text(),
  };
}

const expectedTypes: Record<string, string> = {
  blogIndex: 'text/html',
  blogArticle: 'text/html',
  blogFeed: 'application/rss+xml',
  blogAtom: 'application/atom+xml',
  blogSitemap: 'application/xml',
  robots: 'text/plain',
  privatePage: 'text/html',
  mediumArticle: 'text/html',
  mediumFeed: 'application/rss+xml',
  substackPost: 'text/html',
  substackFeed: 'application/rss+xml',
  devtoArticlesList: 'application/json',
  devtoArticle: 'application/json',
  devtoProfile: 'text/html',
  benchSitemap: 'application/xml',
};

describe('startSampleSites', () => {
  it('serves every URL it advertises, with the right content type and only local links', async () => {
    const names = Object.keys(sites.urls).filter((name) => name !== 'devtoApiBase');
    expect(names.sort()).toEqual(Object.keys(expectedTypes).sort());
    for (const name of names) {
      const url = sites.urls[name as keyof typeof sites.urls]!;
      const origin = name.startsWith('devto') ? sites.devtoBaseUrl : sites.baseUrl;
      expect(url.startsWith(`${origin}/`), name).toBe(true);
      const reply = await get(url);
      expect(reply.status, name).toBe(200);
      expect(reply.type.split(';')[0], name).toBe(expectedTypes[name]);
      // Public origins are mounted on the server, so crawlers following links stay local.
      expect(reply.body, name).not.toMatch(
        /https:\/\/(noorhalvorsen\.example|medium\.com|boringml\.substack\.com|dev\.to)[/"<]/,
      );
    }
    const api = await get(`${sites.urls.devtoApiBase}/articles/1843201`);
    expect(JSON.parse(api.body)).toMatchObject({ id: 1843201, user: { username: 'noorh' } });
  });

  it('serves eight blog articles of 400-900 words with real page chrome', async () => {
    expect(sites.blogArticles).toHaveLength(8);
    for (const url of sites.blogArticles) {
      const { status, body } = await get(url);
      expect(status).toBe(200);
      const $ = load(body);
      expect($('article h1').text()).not.toBe('');
      expect($('article time[datetime]').attr('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect($('link[rel=canonical]').attr('href')).toBe(url);
      expect($('nav, footer, #cookie-banner, #comments .comment').length).toBeGreaterThan(4);
      expect(words(pageText(body, '.post-body'))).toBeGreaterThanOrEqual(400);
      expect(words(pageText(body, '.post-body'))).toBeLessThanOrEqual(900);
    }
    const feed = (await get(sites.urls.blogFeed)).body;
    const links = [...feed.matchAll(/<link>([^<]+)<\/link>/g)].map((match) => match[1]).slice(1);
    expect(links.sort()).toEqual([...sites.blogArticles].sort());
  });

  it('keeps /private/ out by robots.txt while the sitemap lists it, as a trap for careless crawlers', async () => {
    expect((await get(sites.urls.robots)).body).toMatch(/^Disallow: \/private\/$/m);
    expect((await get(sites.urls.blogSitemap)).body).toContain(`<loc>${sites.urls.privatePage}</loc>`);
    expect((await get(sites.urls.privatePage)).body).toContain('PRIVATE-DRAFT-7f3a');
  });

  it('puts the full text of Medium and Substack posts in their feeds', async () => {
    const medium = (await get(sites.urls.mediumFeed)).body;
    expect(medium).toContain('<content:encoded><![CDATA[');
    expect(pageText((await get(sites.urls.mediumArticle)).body)).toContain(
      'went from 3 percent to 19 percent overnight',
    );
    expect(medium).toContain('went from 3 percent to 19 percent overnight');
    const substack = await get(sites.urls.substackPost);
    expect(load(substack.body)('h1.post-title').text()).toBe('I fine-tuned a small model on my own writing');
    expect(load(substack.body)('.available-content .body.markup p').length).toBeGreaterThan(10);
    expect((await get(sites.urls.substackFeed)).body.match(/<item>/g)).toHaveLength(2);
  });

  it('replays the dev.to API with page and per_page like the real one', async () => {
    const list = async (query: string) =>
      JSON.parse((await get(`${sites.urls.devtoApiBase}/articles?username=noorh${query}`)).body) as {
        id: number;
      }[];
    expect((await list('')).map((article) => article.id)).toEqual([1978455, 1902377, 1843201]);
    expect((await list('&per_page=2&page=1')).map((article) => article.id)).toEqual([1978455, 1902377]);
    expect((await list('&per_page=2&page=2')).map((article) => article.id)).toEqual([1843201]);
    expect(await list('&per_page=2&page=3')).toEqual([]);
    const article = JSON.parse((await get(sites.urls.devtoArticle)).body);
    expect(article.body_markdown).toContain('## Derive the ID');
    expect(article.tags).toEqual(['rag', 'vectordatabase', 'typescript', 'mlops']);
    const missing = await get(`${sites.urls.devtoApiBase}/articles/42`);
    expect([missing.status, JSON.parse(missing.body)]).toEqual([404, { error: 'not found', status: 404 }]);
  });

  it('generates deterministic benchmark pages listed by a bench sitemap', async () => {
    const sitemap = (await get(sites.urls.benchSitemap!)).body;
    expect([...sitemap.matchAll(/<loc>([^<]+)<\/loc>/g)].map((match) => match[1])).toEqual(sites.benchPages);
    for (const url of sites.benchPages) {
      const first = await get(url);
      expect(first.type).toMatch(/^text\/html/);
      const count = words(pageText(first.body, '.post-body'));
      expect(count).toBeGreaterThanOrEqual(400);
      expect(count).toBeLessThanOrEqual(850);
      expect((await get(url)).body).toBe(first.body);
    }
    expect((await get(`${sites.baseUrl}/bench/p/6.html`)).status).toBe(404);
    expect((await get(`${sites.baseUrl}/robots.txt`)).body).not.toMatch(/Disallow: \/bench/);
  });

  it('answers 404 for unknown paths and for attempts to leave the sample folder', async () => {
    expect((await get(`${sites.baseUrl}/posts/nope.html`)).status).toBe(404);
    expect((await get(`${sites.baseUrl}/..%2f..%2fpackage.json`)).status).toBe(404);
    expect((await get(`${sites.baseUrl}/%2e%2e/make-sample-repo.ts`)).status).toBe(404);
  });
});

describe('makeSampleRepository', () => {
  it('builds the same commits every time, reuses a current copy and refuses foreign folders', async () => {
    const first = await makeSampleRepository(join(workspace, 'a'));
    const second = await makeSampleRepository(join(workspace, 'b'));
    const head = (cwd: string) =>
      execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    expect(head(first)).toBe(head(second));
    const marker = join(first, '.git', 'reuse-marker');
    await writeFile(marker, '');
    expect(await makeSampleRepository(first)).toBe(first);
    expect((await readdir(join(first, '.git'))).includes('reuse-marker')).toBe(true);

    const foreign = join(workspace, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, 'thesis.tex'), 'precious');
    await expect(makeSampleRepository(foreign)).rejects.toThrow(/not the sample repository/);
    expect(await readFile(join(foreign, 'thesis.tex'), 'utf8')).toBe('precious');
  });
});

const Question = z
  .object({
    question: z.string().min(10),
    expected: z.string().startsWith('/'),
    source: z.enum(['blog', 'medium', 'substack', 'devto', 'linkedin', 'repository']),
    evidence: z.string().min(3),
    note: z.string().min(3),
  })
  .strict();
const Questions = z
  .object({ description: z.string(), questions: z.array(Question).min(12).max(15) })
  .strict();

/** Every document of the sample author, as (URL path or repository path, plain text). */
async function allDocuments(): Promise<{ path: string; text: string }[]> {
  const documents: { path: string; text: string }[] = [];
  const addPage = async (url: string) => {
    const { status, body } = await get(url);
    expect(status, url).toBe(200);
    documents.push({ path: new URL(url).pathname, text: pageText(body) });
  };
  for (const url of [sites.urls.blogIndex, `${sites.baseUrl}/about.html`, ...sites.blogArticles])
    await addPage(url);
  for (const feed of [sites.urls.mediumFeed, sites.urls.substackFeed]) {
    const links = [...(await get(feed)).body.matchAll(/<item>[\s\S]*?<link>([^<]+)<\/link>/g)];
    for (const [, link] of links) await addPage(link!.replace(/\?.*$/, ''));
  }
  const devto = JSON.parse((await get(sites.urls.devtoArticlesList)).body) as { url: string }[];
  for (const { url } of devto) await addPage(url);

  const exportFolder = join(sampleAuthorDirectory, 'linkedin-export');
  const shares = parseCsvRecords(await readFile(join(exportFolder, 'Shares.csv'), 'utf8')).records;
  for (const share of shares) {
    if (share.ShareCommentary)
      documents.push({ path: new URL(share.ShareLink!).pathname, text: share.ShareCommentary });
  }
  const articles = join(exportFolder, 'Articles', 'Articles');
  for (const name of await readdir(articles)) {
    const $ = load(await readFile(join(articles, name), 'utf8'));
    documents.push({
      path: new URL($('h1 a').attr('href')!).pathname,
      text: $('body').text().replace(/\s+/g, ' '),
    });
  }

  const repository = await makeSampleRepository(join(workspace, 'questions-repo'));
  const files = execFileSync('git', ['ls-files'], { cwd: repository, encoding: 'utf8' }).trim().split('\n');
  for (const file of files)
    documents.push({ path: `/${file}`, text: await readFile(join(repository, file), 'latin1') });
  return documents;
}

describe('questions.json', () => {
  it('is valid, and each question is answered by exactly one existing document that holds its evidence', async () => {
    const { questions } = Questions.parse(
      JSON.parse(await readFile(join(sampleAuthorDirectory, 'questions.json'), 'utf8')),
    );
    expect(new Set(questions.map((question) => question.question)).size).toBe(questions.length);
    expect(new Set(questions.map((question) => question.source))).toEqual(
      new Set(['blog', 'medium', 'substack', 'devto', 'linkedin', 'repository']),
    );
    const documents = await allDocuments();
    expect(documents.length).toBeGreaterThan(30);
    for (const question of questions) {
      const matches = documents.filter((document) => document.path.endsWith(question.expected));
      expect(
        matches.map((document) => document.path),
        question.question,
      ).toHaveLength(1);
      expect(matches[0]!.text.replace(/\s+/g, ' '), question.question).toContain(question.evidence);
    }
  });
});
