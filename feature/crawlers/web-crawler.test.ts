import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { articlePage } from './test-support/article-page.ts';
import { type FixtureServer, startFixtureServer } from './test-support/fixture-server.ts';
import { collect, documentsOf, testCrawlContext } from './test-support/test-crawl-context.ts';
import { WebCrawler } from './web-crawler.ts';

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const post = (title: string) => ({
  body: articlePage({
    title,
    paragraphs: [`${title}: a plain blog post with one paragraph of real text in it.`],
  }),
});

async function crawl(path: string) {
  return collect(new WebCrawler().crawl(server?.url(path) ?? '', testCrawlContext()));
}

describe('WebCrawler', () => {
  it('sniffs an RSS feed and crawls it from the response it already has', async () => {
    server = await startFixtureServer({
      // Served as text/html on purpose: the body, not the header, says it is a feed.
      '/posts.rss': {
        body: `<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>
          <item><title>Post one</title><link>/one</link><pubDate>Fri, 01 Mar 2024 10:00:00 GMT</pubDate></item></channel></rss>`,
      },
      '/one': post('Post one'),
    });
    const outcomes = await crawl('/posts.rss');
    expect(documentsOf(outcomes).map((document) => document.content)).toEqual([
      'Post one: a plain blog post with one paragraph of real text in it.',
    ]);
    expect(outcomes[0]).toMatchObject({ kind: 'document', discoveredFrom: server.url('/posts.rss') });
    expect(server.count('/posts.rss')).toBe(1);
  });

  it('sniffs a sitemap', async () => {
    server = await startFixtureServer({ '/a': post('Page A') });
    server.route('/sitemap.xml', {
      headers: { 'content-type': 'application/xml' },
      body: `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>${server.url('/a')}</loc></url></urlset>`,
    });
    const outcomes = await crawl('/sitemap.xml');
    expect(documentsOf(outcomes).map((document) => document.title)).toEqual(['Page A']);
    expect(server.count('/sitemap.xml')).toBe(1);
  });

  it('recognises a Substack post on a custom domain and a Medium page by their markup', async () => {
    server = await startFixtureServer({
      '/p/shipping-on-fridays': { body: fixture('substack-post.html') },
      '/story': { body: fixture('medium-article.html') },
    });
    const [substack] = documentsOf(await crawl('/p/shipping-on-fridays'));
    expect(substack).toMatchObject({
      platform: 'substack',
      metadata: { subtitle: 'Why the deploy freeze is a smell' },
    });
    const [medium] = documentsOf(await crawl('/story'));
    expect(medium).toMatchObject({ platform: 'medium', title: 'Lessons from a year of on-call' });
    expect(server.count('/p/shipping-on-fridays')).toBe(1);
    expect(server.count('/story')).toBe(1);
  });

  it('extracts any other page as a web article, fetching it once', async () => {
    server = await startFixtureServer({ '/posts/small-functions': { body: fixture('blog-post.html') } });
    const [document] = documentsOf(await crawl('/posts/small-functions'));
    expect(document).toMatchObject({
      platform: 'web',
      category: 'article',
      title: 'Why I Write Small Functions',
    });
    expect(server.count('/posts/small-functions')).toBe(1);
  });

  it('follows the feed a home page advertises instead of extracting the home page', async () => {
    server = await startFixtureServer({
      '/': {
        body: `<html><head><title>Home</title><link rel="alternate" type="application/atom+xml" href="/atom.xml"></head>
          <body><h1>Latest posts</h1><ul><li><a href="/one">Post one</a></li></ul></body></html>`,
      },
      '/atom.xml': {
        headers: { 'content-type': 'application/atom+xml' },
        body: `<feed xmlns="http://www.w3.org/2005/Atom"><title>Home</title>
          <entry><title>Post one</title><link href="/one"/><id>1</id><updated>2024-03-01T00:00:00Z</updated></entry></feed>`,
      },
      '/one': post('Post one'),
    });
    const outcomes = await crawl('/');
    expect(documentsOf(outcomes).map((document) => document.title)).toEqual(['Post one']);
    expect(outcomes[0]).toMatchObject({ discoveredFrom: server.url('/atom.xml') });
  });

  it('skips a binary target with the reason', async () => {
    server = await startFixtureServer({
      '/report.pdf': { headers: { 'content-type': 'application/pdf' }, body: Buffer.from('%PDF-1.5\n') },
    });
    expect(await crawl('/report.pdf')).toEqual([
      { kind: 'skipped', url: server.url('/report.pdf'), reason: 'not HTML (application/pdf)' },
    ]);
  });
});
