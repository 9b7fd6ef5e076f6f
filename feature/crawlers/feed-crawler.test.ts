import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { CrawlOutcome } from './crawler.ts';
import { FeedCrawler } from './feed-crawler.ts';
import { parseFeed } from './parse-feed.ts';
import { articlePage } from './test-support/article-page.ts';
import { type FixtureServer, startFixtureServer } from './test-support/fixture-server.ts';
import { collect, documentsOf, testCrawlContext } from './test-support/test-crawl-context.ts';

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const rss = {
  headers: { 'content-type': 'application/rss+xml; charset=utf-8' },
  body: fixture('feed.rss.xml'),
};
const atom = { headers: { 'content-type': 'application/atom+xml' }, body: fixture('feed.atom.xml') };

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const firstPage = articlePage({
  title: 'First post',
  paragraphs: [
    'The page version of the first post has the complete text, longer and richer than anything in the feed.',
    'A second paragraph that only the page has, which proves the page was fetched and extracted.',
  ],
  author: 'Jane Page',
});
const thirdPage = articlePage({
  title: 'Third post',
  paragraphs: ['Third post body from its own page, with enough words in it to count as an article body.'],
});

describe('parseFeed', () => {
  it('reads RSS items with absolute links, dates, authors, categories and full content', () => {
    const feed = parseFeed(rss.body, 'https://jane.example/feed.xml');
    expect(feed?.format).toBe('rss');
    expect(feed?.title).toBe("Jane's Notes");
    expect(feed?.entries).toHaveLength(4);
    expect(feed?.entries[0]).toEqual({
      link: 'https://jane.example/posts/first',
      id: 'post-1',
      title: 'First post',
      publishedAt: '2024-03-04T09:30:00.000Z',
      author: 'Jane Doe',
      contentHtml: '<p>The feed copy of the first post, which should not be used when the page works.</p>',
      summaryHtml: 'A short summary of the first post.',
      categories: ['testing'],
    });
    expect(feed?.entries[2]?.summaryHtml).toBe('<p>Third summary</p>');
  });

  it('reads Atom entries, resolving links against xml:base and keeping XHTML content', () => {
    const feed = parseFeed(atom.body, 'https://jane.example/feeds/atom.xml');
    expect(feed?.format).toBe('atom');
    expect(feed?.link).toBe('https://jane.example/blog/');
    const [first, second] = feed?.entries ?? [];
    expect(first).toMatchObject({
      link: 'https://jane.example/blog/atom-one',
      title: 'Atom & XHTML',
      publishedAt: '2024-04-01T08:00:00.000Z',
      author: 'Feed Author',
    });
    expect(first?.contentHtml).toContain('<p>Atom entry content written in <em>XHTML</em>');
    expect(second).toMatchObject({
      link: 'https://jane.example/blog/atom-two',
      publishedAt: '2024-04-03T08:00:00.000Z',
      author: 'Guest Writer',
      contentHtml: null,
      summaryHtml: '<p>Only a summary here.</p>',
    });
  });

  it('returns null for documents that are not feeds', () => {
    expect(
      parseFeed('<urlset><url><loc>https://a.example/</loc></url></urlset>', 'https://a.example/'),
    ).toBeNull();
  });
});

describe('FeedCrawler', () => {
  it('crawls each RSS entry page, falls back to the feed copy, and records where pages came from', async () => {
    server = await startFixtureServer({
      '/feed.xml': rss,
      '/posts/first': { body: firstPage },
      '/posts/third': { body: thirdPage },
    });
    const discovered: number[] = [];
    const outcomes = await collect(
      new FeedCrawler().crawl(
        server.url('/feed.xml'),
        testCrawlContext({}, { onDiscovered: (count) => discovered.push(count) }),
      ),
    );
    // The duplicate fourth item is dropped.
    expect(discovered).toEqual([3]);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['document', 'document', 'document']);
    expect(
      outcomes.every(
        (outcome) => outcome.kind === 'document' && outcome.discoveredFrom === server?.url('/feed.xml'),
      ),
    ).toBe(true);
    const [first, second, third] = documentsOf(outcomes);

    expect(first?.content).toContain('A second paragraph that only the page has');
    expect(first?.content).not.toContain('feed copy');
    expect(first).toMatchObject({
      title: 'First post',
      publishedAt: '2024-03-04T09:30:00.000Z',
      platform: 'web',
    });
    expect(first?.metadata).toMatchObject({ author: 'Jane Page', tags: ['testing'], contentSource: 'page' });

    expect(second?.content).toBe(
      '## Feed heading\n\nThe second post lives only in the feed now: its page is gone, so this copy is what we keep.\n\n- one\n- two',
    );
    expect(second).toMatchObject({
      title: 'Second post',
      sourceUrl: server.url('/posts/second'),
      publishedAt: '2024-03-05T10:00:00.000Z',
    });
    expect(second?.metadata).toMatchObject({
      author: 'Jane Doe',
      contentSource: 'feed',
      links: [server.url('/elsewhere')],
      pageError: `${server.url('/posts/second')}: HTTP 404 Not Found`,
    });

    expect(third?.content).toBe(
      'Third post body from its own page, with enough words in it to count as an article body.',
    );
    expect(third?.publishedAt).toBe('2024-03-06T11:00:00.000Z');
    expect(server.count('/feed.xml')).toBe(1);
  });

  it('takes the entry’s title when the page’s title is it plus the site name', async () => {
    server = await startFixtureServer({
      '/feed.xml': {
        headers: { 'content-type': 'application/rss+xml' },
        body: `<rss version="2.0"><channel><title>Garden</title>
          <item><title>On Focus</title><link>/on-focus</link></item></channel></rss>`,
      },
      '/on-focus': {
        body: `<html><head><title>On Focus :: Mira's notebook</title></head><body><article><h1>Focus, again</h1>
          <p>A paragraph of the post, long enough to be read as the article and not as page furniture.</p>
          </article></body></html>`,
      },
    });
    const [document] = documentsOf(
      await collect(new FeedCrawler().crawl(server.url('/feed.xml'), testCrawlContext())),
    );
    expect(document?.title).toBe('On Focus');
    expect(document?.metadata.titleSource).toBe('feed');
  });

  it('crawls an Atom feed and respects maxPagesPerSource', async () => {
    server = await startFixtureServer({
      '/blog/feed.atom': atom,
      '/blog/atom-one': {
        body: articlePage({
          title: 'Atom one',
          paragraphs: ['The Atom entry page, fetched and extracted like any article page.'],
        }),
      },
      '/blog/atom-two': { body: articlePage({ title: 'Atom two', paragraphs: ['Never fetched.'] }) },
    });
    const outcomes: CrawlOutcome[] = await collect(
      new FeedCrawler().crawl(server.url('/blog/feed.atom'), testCrawlContext({ maxPagesPerSource: 1 })),
    );
    const documents = documentsOf(outcomes);
    expect(documents).toHaveLength(1);
    expect(documents[0]?.content).toBe('The Atom entry page, fetched and extracted like any article page.');
    expect(documents[0]?.metadata.author).toBe('Feed Author');
    expect(server.count('/blog/atom-two')).toBe(0);
  });

  it('stops when the crawl is aborted instead of recording every remaining entry as failed', async () => {
    server = await startFixtureServer({ '/feed.xml': rss, '/posts/first': { body: firstPage } });
    const controller = new AbortController();
    const seen: CrawlOutcome[] = [];
    const crawling = (async () => {
      const context = testCrawlContext({ concurrency: 1 }, { signal: controller.signal });
      for await (const outcome of new FeedCrawler().crawl(server?.url('/feed.xml') ?? '', context)) {
        seen.push(outcome);
        controller.abort(new Error('stop now'));
      }
    })();
    await expect(crawling).rejects.toThrow('stop now');
    expect(seen).toHaveLength(1);
  });

  it('skips what is not a feed, and reports a feed that cannot be fetched', async () => {
    server = await startFixtureServer({ '/page': { body: firstPage } });
    expect(await collect(new FeedCrawler().crawl(server.url('/page'), testCrawlContext()))).toEqual([
      { kind: 'skipped', url: server.url('/page'), reason: 'not an RSS or Atom feed' },
    ]);
    expect(await collect(new FeedCrawler().crawl(server.url('/nope.xml'), testCrawlContext()))).toEqual([
      {
        kind: 'failed',
        url: server.url('/nope.xml'),
        error: `${server.url('/nope.xml')}: HTTP 404 Not Found`,
      },
    ]);
  });
});
