import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isSubstackPage, SubstackCrawler, substackFeedUrl } from './substack-crawler.ts';
import { type FixtureServer, startFixtureServer } from './test-support/fixture-server.ts';
import { collect, documentsOf, testCrawlContext } from './test-support/test-crawl-context.ts';

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('SubstackCrawler', () => {
  it('maps a publication to its /feed, on custom domains too', () => {
    expect(substackFeedUrl(new URL('https://janesletters.substack.com/'))).toBe(
      'https://janesletters.substack.com/feed',
    );
    expect(substackFeedUrl(new URL('https://letters.janedoe.dev/archive'))).toBe(
      'https://letters.janedoe.dev/feed',
    );
    expect(substackFeedUrl(new URL('https://letters.janedoe.dev/p/shipping-on-fridays'))).toBeNull();
  });

  it('extracts a post page: title, subtitle, free content, without widgets, buttons or comments', async () => {
    server = await startFixtureServer({ '/p/shipping-on-fridays': { body: fixture('substack-post.html') } });
    const outcomes = await collect(
      new SubstackCrawler().crawl(server.url('/p/shipping-on-fridays'), testCrawlContext()),
    );
    const [document] = documentsOf(outcomes);
    expect(document).toMatchObject({
      category: 'article',
      platform: 'substack',
      title: 'Shipping on Fridays',
      canonicalUrl: 'https://letters.janedoe.dev/p/shipping-on-fridays',
      publishedAt: '2024-02-09T14:00:00.000Z',
      metadata: {
        author: 'Jane Doe',
        subtitle: 'Why the deploy freeze is a smell',
        siteName: "Jane's Letters",
      },
    });
    expect(document?.content).toBe(
      [
        'Every team I have joined had a rule against deploying on Fridays. Every one of them also had a deploy process nobody trusted, and the rule was how they lived with it.',
        'If a deploy can ruin your weekend, the problem is the deploy, not the day of the week. Make it small, make it reversible, and make rollback boring.',
        '## What to do instead',
        '- Ship behind flags.\n- Automate the rollback.',
      ].join('\n\n'),
    );
  });

  it('reads the publication feed, dropping the subscribe widget from content:encoded', async () => {
    server = await startFixtureServer({
      '/feed': {
        headers: { 'content-type': 'application/xml; charset=utf-8' },
        body: fixture('substack-feed.xml'),
      },
    });
    const outcomes = await collect(new SubstackCrawler().crawl(`${server.origin}/`, testCrawlContext()));
    const documents = documentsOf(outcomes);
    expect(documents.map((document) => document.title)).toEqual(['Shipping on Fridays', 'A paid post']);
    expect(documents[0]).toMatchObject({
      platform: 'substack',
      sourceUrl: 'https://letters.janedoe.dev/p/shipping-on-fridays',
      publishedAt: '2024-02-09T14:00:00.000Z',
      content:
        'Every team I have joined had a rule against deploying on Fridays. Every one of them also had a deploy process nobody trusted.\n\n## What to do instead\n\nShip behind flags, and automate the rollback.',
    });
    expect(
      outcomes.every(
        (outcome) => outcome.kind === 'document' && outcome.discoveredFrom === server?.url('/feed'),
      ),
    ).toBe(true);
  });

  it('recognises Substack pages by their markup, not their host', () => {
    expect(isSubstackPage(fixture('substack-post.html'))).toBe(true);
    expect(isSubstackPage('<html><head><meta name="generator" content="Substack"></head></html>')).toBe(true);
    expect(isSubstackPage(fixture('blog-post.html'))).toBe(false);
  });
});
