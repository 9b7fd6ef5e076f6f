import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSitemap } from './parse-sitemap.ts';
import { SitemapCrawler } from './sitemap-crawler.ts';
import { articlePage } from './test-support/article-page.ts';
import { type FixtureServer, startFixtureServer } from './test-support/fixture-server.ts';
import { collect, documentsOf, testCrawlContext } from './test-support/test-crawl-context.ts';

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const xml = (body: string) => ({ headers: { 'content-type': 'application/xml' }, body });
const urlset = (origin: string, paths: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
${paths.map((path) => `  <url><loc>${origin}${path}</loc><lastmod>2024-01-0${paths.indexOf(path) + 1}</lastmod></url>`).join('\n')}
</urlset>`;
const index = (origin: string, paths: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
${paths.map((path) => `  <sitemap><loc>${origin}${path}</loc></sitemap>`).join('\n')}
</sitemapindex>`;
const page = (title: string) => ({
  body: articlePage({
    title,
    paragraphs: [`${title} is a page listed in a sitemap, with a full paragraph of text to extract.`],
  }),
});

describe('parseSitemap', () => {
  it('reads url sets, indexes and plain-text sitemaps', () => {
    expect(
      parseSitemap(urlset('https://a.example', ['/one', '/two']), 'https://a.example/sitemap.xml'),
    ).toEqual({
      kind: 'urlset',
      urls: [
        { loc: 'https://a.example/one', lastModified: '2024-01-01' },
        { loc: 'https://a.example/two', lastModified: '2024-01-02' },
      ],
    });
    expect(parseSitemap(index('https://a.example', ['/s1.xml']), 'https://a.example/')).toEqual({
      kind: 'index',
      sitemaps: ['https://a.example/s1.xml'],
    });
    expect(
      parseSitemap('https://a.example/x\nhttps://a.example/y\n', 'https://a.example/s.txt'),
    ).toMatchObject({
      kind: 'urlset',
      urls: [{ loc: 'https://a.example/x' }, { loc: 'https://a.example/y' }],
    });
    expect(parseSitemap('<rss><channel/></rss>', 'https://a.example/')).toBeNull();
  });
});

describe('SitemapCrawler', () => {
  it('follows nested sitemap indexes (gzipped ones too) and extracts every page', async () => {
    server = await startFixtureServer({
      '/posts/a': page('Post A'),
      '/posts/b': page('Post B'),
      '/pages/about': page('About page'),
      '/posts/c': page('Post C'),
    });
    const origin = server.origin;
    server.route(
      '/sitemap_index.xml',
      xml(index(origin, ['/sitemaps/posts.xml', '/sitemaps/pages.xml.gz', '/sitemaps/nested.xml'])),
    );
    server.route('/sitemaps/posts.xml', xml(urlset(origin, ['/posts/a', '/posts/b'])));
    server.route('/sitemaps/pages.xml.gz', {
      headers: { 'content-type': 'application/x-gzip' },
      body: gzipSync(urlset(origin, ['/pages/about', '/posts/a'])),
    });
    server.route('/sitemaps/nested.xml', xml(index(origin, ['/sitemaps/more.xml', '/sitemap_index.xml'])));
    server.route('/sitemaps/more.xml', xml(urlset(origin, ['/posts/c'])));

    const discovered: number[] = [];
    const outcomes = await collect(
      new SitemapCrawler().crawl(
        server.url('/sitemap_index.xml'),
        testCrawlContext({}, { onDiscovered: (count) => discovered.push(count) }),
      ),
    );
    expect(discovered).toEqual([4]);
    const documents = documentsOf(outcomes);
    expect(documents.map((document) => document.title)).toEqual(['Post A', 'Post B', 'About page', 'Post C']);
    expect(documents[2]?.content).toBe(
      'About page is a page listed in a sitemap, with a full paragraph of text to extract.',
    );
    expect(
      outcomes.map((outcome) => (outcome.kind === 'document' ? outcome.discoveredFrom : outcome.kind)),
    ).toEqual([
      server.url('/sitemaps/posts.xml'),
      server.url('/sitemaps/posts.xml'),
      server.url('/sitemaps/pages.xml.gz'),
      server.url('/sitemaps/more.xml'),
    ]);
    // The index listed again inside nested.xml is not fetched twice, nor is /posts/a.
    expect(server.count('/sitemap_index.xml')).toBe(1);
    expect(server.count('/posts/a')).toBe(1);
  });

  it('stops listing at maxPagesPerSource', async () => {
    server = await startFixtureServer({ '/one': page('One'), '/two': page('Two'), '/three': page('Three') });
    server.route('/sitemap.xml', xml(urlset(server.origin, ['/one', '/two', '/three'])));
    const outcomes = await collect(
      new SitemapCrawler().crawl(server.url('/sitemap.xml'), testCrawlContext({ maxPagesPerSource: 2 })),
    );
    expect(documentsOf(outcomes).map((document) => document.title)).toEqual(['One', 'Two']);
    expect(server.count('/three')).toBe(0);
  });

  it('cuts the title suffix every page of the site repeats, when nothing on a page named the site', async () => {
    const titled = (title: string, heading: string) => ({
      body: `<html><head><title>${title} | Sam's Garden</title></head><body><article><h1>${heading}</h1>
        <p>${heading}: a paragraph of real text about the garden, long enough to be extracted as an article.</p>
        </article></body></html>`,
    });
    server = await startFixtureServer({
      '/tomatoes': titled('Tomatoes in pots', 'Growing tomatoes in pots on a balcony'),
      '/compost': titled('Compost', 'What goes in the compost bin'),
    });
    server.route('/sitemap.xml', xml(urlset(server.origin, ['/tomatoes', '/compost'])));
    const documents = documentsOf(
      await collect(new SitemapCrawler().crawl(server.url('/sitemap.xml'), testCrawlContext())),
    );
    expect(documents.map((document) => [document.title, document.metadata.titleSource])).toEqual([
      ['Tomatoes in pots', 'site-pattern'],
      ['Compost', 'site-pattern'],
    ]);
  });

  it('reports a broken child sitemap and still crawls the rest', async () => {
    server = await startFixtureServer({ '/ok': page('Fine page') });
    server.route('/sitemap.xml', xml(index(server.origin, ['/missing.xml', '/good.xml'])));
    server.route('/good.xml', xml(urlset(server.origin, ['/ok'])));
    const outcomes = await collect(
      new SitemapCrawler().crawl(server.url('/sitemap.xml'), testCrawlContext()),
    );
    expect(outcomes[0]).toEqual({
      kind: 'failed',
      url: server.url('/missing.xml'),
      error: `${server.url('/missing.xml')}: HTTP 404 Not Found`,
    });
    expect(documentsOf(outcomes).map((document) => document.title)).toEqual(['Fine page']);
  });
});
