import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DevtoCrawler } from './devto-crawler.ts';
import { type FixtureServer, startFixtureServer } from './test-support/fixture-server.ts';
import { collect, documentsOf, testCrawlContext } from './test-support/test-crawl-context.ts';

const json = (name: string) => ({
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: readFileSync(new URL(`./__fixtures__/devto/${name}`, import.meta.url), 'utf8'),
});

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function devtoApi() {
  server = await startFixtureServer({
    '/api/articles?username=janedoe&per_page=2&page=1': json('articles-page-1.json'),
    '/api/articles?username=janedoe&per_page=2&page=2': json('articles-page-2.json'),
    '/api/articles/1780001': json('article-1780001.json'),
    '/api/articles/1770002': json('article-1770002.json'),
    '/api/articles/1760003': json('article-1760003.json'),
    '/api/articles/janedoe/why-i-cross-post-1b3c': json('article-1770002.json'),
    '/api/articles?username=broken&per_page=2&page=1': {
      headers: { 'content-type': 'application/json' },
      body: '{"error":"x"}',
    },
  });
  return server;
}

describe('DevtoCrawler', () => {
  it('pages through a user’s articles and takes each body_markdown', async () => {
    const api = await devtoApi();
    const discovered: number[] = [];
    const context = testCrawlContext(
      { devtoApiBase: api.url('/api') },
      { onDiscovered: (count) => discovered.push(count) },
    );
    const outcomes = await collect(new DevtoCrawler({ perPage: 2 }).crawl('https://dev.to/janedoe', context));
    expect(discovered).toEqual([3]);
    // Page 2 held fewer than per_page articles, so page 3 was never asked for.
    expect(api.requests.filter((path) => path.startsWith('/api/articles?'))).toEqual([
      '/api/articles?username=janedoe&per_page=2&page=1',
      '/api/articles?username=janedoe&per_page=2&page=2',
    ]);
    const documents = documentsOf(outcomes);
    expect(documents.map((document) => document.title)).toEqual([
      'Testing crawlers without the internet',
      'Why I cross-post',
      'A tiny post',
    ]);
    expect(documents[0]).toEqual({
      category: 'article',
      platform: 'devto',
      sourceUrl: 'https://dev.to/janedoe/testing-crawlers-without-the-internet-4k2j',
      canonicalUrl: 'https://dev.to/janedoe/testing-crawlers-without-the-internet-4k2j',
      title: 'Testing crawlers without the internet',
      // The v1 editor's front matter is not part of the text.
      content:
        "My build machine has no internet, so every crawler test replays a site from `127.0.0.1`.\n\n## The fixture server\n\n```js\nconst server = createServer(handler);\nserver.listen(0, '127.0.0.1');\n```\n\nPort 0 lets the OS pick a free port.",
      publishedAt: '2024-03-04T10:00:00.000Z',
      metadata: {
        author: 'Jane Doe',
        username: 'janedoe',
        description: 'Replay the web from a local server.',
        tags: ['testing', 'node'],
        devtoId: 1780001,
        readingTimeMinutes: 3,
        reactions: 17,
        contentFormat: 'markdown',
        contentSource: 'api',
      },
    });
    expect(documents[1]?.canonicalUrl).toBe('https://janedoe.dev/blog/why-i-cross-post');
    expect(
      outcomes.every(
        (outcome) => outcome.kind === 'document' && outcome.discoveredFrom?.includes('username=janedoe'),
      ),
    ).toBe(true);
  });

  it('respects maxPagesPerSource while listing', async () => {
    const api = await devtoApi();
    const context = testCrawlContext({ devtoApiBase: api.url('/api'), maxPagesPerSource: 1 });
    const documents = documentsOf(
      await collect(new DevtoCrawler({ perPage: 2 }).crawl('https://dev.to/janedoe', context)),
    );
    expect(documents.map((document) => document.title)).toEqual(['Testing crawlers without the internet']);
    expect(api.count('/api/articles/1770002')).toBe(0);
  });

  it('fetches one article from a post URL', async () => {
    const api = await devtoApi();
    const context = testCrawlContext({ devtoApiBase: api.url('/api') });
    const outcomes = await collect(
      new DevtoCrawler().crawl('https://dev.to/janedoe/why-i-cross-post-1b3c', context),
    );
    expect(documentsOf(outcomes).map((document) => document.content)).toEqual([
      'I publish on my own site first and cross-post here, with the canonical URL pointing home.\n\nThat way search engines credit the original.',
    ]);
  });

  it('reports an API answer of the wrong shape clearly', async () => {
    const api = await devtoApi();
    const context = testCrawlContext({ devtoApiBase: api.url('/api') });
    const outcomes = await collect(new DevtoCrawler({ perPage: 2 }).crawl('https://dev.to/broken', context));
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ kind: 'failed', url: 'https://dev.to/broken' });
    expect(outcomes[0]?.kind === 'failed' && outcomes[0].error).toContain('unexpected dev.to API response');
  });
});
