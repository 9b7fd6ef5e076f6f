import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { afterEach, describe, expect, it } from 'vitest';
import { ArticleCrawler } from './article-crawler.ts';
import { type FixtureServer, startFixtureServer } from './test-support/fixture-server.ts';
import { collect, documentsOf, testCrawlContext } from './test-support/test-crawl-context.ts';

const blogPost = readFileSync(new URL('./__fixtures__/blog-post.html', import.meta.url), 'utf8');

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function crawlOne(path: string) {
  const outcomes = await collect(new ArticleCrawler().crawl(server?.url(path) ?? '', testCrawlContext()));
  expect(outcomes).toHaveLength(1);
  const [outcome] = outcomes;
  if (!outcome) throw new Error('no outcome');
  return outcome;
}

describe('ArticleCrawler', () => {
  it('extracts the article text and drops nav, header, footer, comments and the cookie banner', async () => {
    server = await startFixtureServer({ '/posts/small-functions': { body: blogPost } });
    const [document] = documentsOf([await crawlOne('/posts/small-functions')]);
    if (!document) throw new Error('expected a document');
    const { content } = document;

    expect(content).toContain('the single habit that paid off most is keeping functions small.');
    expect(content).toContain('## An example');
    for (const chrome of [
      'cookie',
      'By Jane Doe',
      'About me',
      'Archive',
      'Great post',
      'I disagree',
      'All rights reserved',
      'Privacy policy',
    ]) {
      expect(content, chrome).not.toContain(chrome);
    }
    // Paragraphs are blank-line separated; the link keeps its text only.
    expect(content).toContain(
      'This is not a rule I follow blindly. It is a habit about naming more than about size:',
    );
    expect(content).toMatch(
      /at once, and the name is the first place where that shows\.\n\n## An example\n\n/,
    );
    expect(content).toContain(
      '- a parser that only parses,\n- a validator that only validates,\n- and a *store* call that only stores.',
    );
    expect(content).toContain(
      '> Functions should do one thing. They should do it well. They should do it only.',
    );
    expect(content).toContain(
      "```ts\nfunction save(input: string) {\n    const data = JSON.parse(input);\n    if (!data.id) {\n        throw new Error('missing id');\n    }\n    return store.put(data);\n}\n```",
    );
    // The title is kept once, as the title, not repeated as the first line of the text.
    expect(content.startsWith('# Why I Write Small Functions')).toBe(false);
  });

  it('keeps title, author, date, canonical URL, site name, language and absolute links', async () => {
    server = await startFixtureServer({ '/posts/small-functions': { body: blogPost } });
    const outcome = await crawlOne('/posts/small-functions');
    if (outcome?.kind !== 'document') throw new Error(`expected a document, got ${JSON.stringify(outcome)}`);
    const { document } = outcome;
    expect(document).toMatchObject({
      category: 'article',
      platform: 'web',
      sourceUrl: server.url('/posts/small-functions'),
      canonicalUrl: server.url('/posts/small-functions'),
      title: 'Why I Write Small Functions',
      publishedAt: '2024-03-04T09:30:00.000Z',
    });
    expect(document.metadata).toMatchObject({
      author: 'Jane Doe',
      siteName: "Jane's Notes",
      language: 'en-GB',
      description: 'Notes on keeping functions small.',
      tags: ['refactoring', 'style'],
      links: [server.url('/posts/naming')],
      images: [server.url('/posts/images/diagram.png')],
    });
  });

  it('reads JSON-LD and <time> when meta tags are missing', async () => {
    const page = `<html><head><title>Plain</title>
      <script type="application/ld+json">{"@graph":[{"@type":"WebSite","name":"Site"},
        {"@type":"Article","headline":"From JSON-LD","author":[{"name":"Ann"},{"name":"Bob"}],
         "publisher":{"@type":"Organization","name":"The Publisher"}}]}</script>
      <meta property="og:url" content="https://example.com/canonical"></head>
      <body><article><p>${'Words in an article that is long enough to be found by Readability. '.repeat(8)}</p>
      <p>Published <time datetime="2023-12-01">1 Dec</time>.</p></article></body></html>`;
    server = await startFixtureServer({ '/p': { body: page } });
    const outcome = await crawlOne('/p');
    if (outcome?.kind !== 'document') throw new Error(`expected a document, got ${JSON.stringify(outcome)}`);
    expect(outcome.document).toMatchObject({
      title: 'From JSON-LD',
      canonicalUrl: 'https://example.com/canonical',
      publishedAt: '2023-12-01T00:00:00.000Z',
      metadata: { author: 'Ann, Bob', siteName: 'The Publisher' },
    });
  });

  it('decodes a windows-1252 page so é and ’ come out right', async () => {
    const page = `<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">
      <title>Café notes</title></head><body><article>
      <p>${'The café’s crème brûlée was superb, and the waiter’s “advice” was spot on. '.repeat(6)}</p>
      </article></body></html>`;
    server = await startFixtureServer({
      '/cafe': { headers: { 'content-type': 'text/html' }, body: iconv.encode(page, 'windows-1252') },
    });
    const outcome = await crawlOne('/cafe');
    if (outcome?.kind !== 'document') throw new Error(`expected a document, got ${JSON.stringify(outcome)}`);
    expect(outcome.document.content).toContain(
      'The café’s crème brûlée was superb, and the waiter’s “advice” was spot on.',
    );
    expect(outcome.document.title).toBe('Café notes');
  });

  it('skips an empty page, a PDF, and a robots.txt-disallowed page, saying why', async () => {
    server = await startFixtureServer({
      '/robots.txt': { headers: { 'content-type': 'text/plain' }, body: 'User-agent: *\nDisallow: /secret' },
      '/empty': {
        body: '<html><head><title>Nothing</title></head><body><nav><a href="/">Home</a></nav><footer>© me</footer></body></html>',
      },
      '/paper.pdf': { headers: { 'content-type': 'application/pdf' }, body: Buffer.from('%PDF-1.4 binary') },
      '/secret': { body: '<p>hidden</p>' },
    });
    expect(await crawlOne('/empty')).toEqual({
      kind: 'skipped',
      url: server.url('/empty'),
      reason: 'no extractable content',
    });
    expect(await crawlOne('/paper.pdf')).toEqual({
      kind: 'skipped',
      url: server.url('/paper.pdf'),
      reason: 'not HTML (application/pdf)',
    });
    expect(await crawlOne('/secret')).toEqual({
      kind: 'skipped',
      url: server.url('/secret'),
      reason: 'disallowed by robots.txt',
    });
    expect(server.count('/secret')).toBe(0);
  });

  it('reports a missing page as failed with the status', async () => {
    server = await startFixtureServer();
    expect(await crawlOne('/gone')).toEqual({
      kind: 'failed',
      url: server.url('/gone'),
      error: `${server.url('/gone')}: HTTP 404 Not Found`,
    });
  });
});
