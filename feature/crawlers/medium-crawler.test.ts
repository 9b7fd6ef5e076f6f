import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isMediumPage, MediumCrawler, mediumFeedUrl } from './medium-crawler.ts';
import { type FixtureServer, startFixtureServer } from './test-support/fixture-server.ts';
import { collect, documentsOf, testCrawlContext } from './test-support/test-crawl-context.ts';

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('mediumFeedUrl', () => {
  it.each([
    ['https://medium.com/@janedoe', 'https://medium.com/feed/@janedoe'],
    ['https://medium.com/@janedoe/', 'https://medium.com/feed/@janedoe'],
    ['https://medium.com/better-ops', 'https://medium.com/feed/better-ops'],
    ['https://janedoe.medium.com/', 'https://janedoe.medium.com/feed'],
    ['https://medium.com/feed/@janedoe', 'https://medium.com/feed/@janedoe'],
    ['https://medium.com/@janedoe/lessons-from-a-year-of-on-call-3f2a1b4c5d6e', null],
    ['https://janedoe.medium.com/lessons-from-a-year-of-on-call-3f2a1b4c5d6e', null],
  ])('%s → %s', (target, feed) => {
    expect(mediumFeedUrl(new URL(target))).toBe(feed);
  });
});

describe('MediumCrawler', () => {
  it('reads a profile through its feed, using the full content:encoded without fetching pages', async () => {
    server = await startFixtureServer({
      '/feed/@janedoe': {
        headers: { 'content-type': 'text/xml; charset=UTF-8' },
        body: fixture('medium-feed.xml'),
      },
    });
    const discovered: number[] = [];
    const outcomes = await collect(
      new MediumCrawler().crawl(
        server.url('/@janedoe'),
        testCrawlContext({}, { onDiscovered: (count) => discovered.push(count) }),
      ),
    );
    expect(discovered).toEqual([2]);
    const [first, second] = documentsOf(outcomes);
    expect(first).toMatchObject({
      category: 'article',
      platform: 'medium',
      title: 'Lessons from a year of on-call',
      sourceUrl: 'https://medium.com/@janedoe/lessons-from-a-year-of-on-call-3f2a1b4c5d6e',
      canonicalUrl: 'https://medium.com/@janedoe/lessons-from-a-year-of-on-call-3f2a1b4c5d6e',
      publishedAt: '2024-03-04T10:15:02.000Z',
      metadata: { author: 'Jane Doe', tags: ['sre', 'on-call'], contentSource: 'feed' },
    });
    expect(first?.content).toBe(
      [
        'A year ago I joined the on-call rotation for the first time. These are the lessons I wish someone had told me on day one.',
        '#### Write the runbook while it hurts',
        'The best time to document an incident is **during** it, while every step still stings.',
        '```\nkubectl rollout undo deployment/api\nkubectl rollout status deployment/api\n```',
      ].join('\n\n'),
    );
    expect(second?.content).toBe(
      'Reviewers read small pull requests; they skim large ones. Keep yours under two hundred lines.',
    );
    // Only the feed was requested: the posts came from it.
    expect(server.requests.filter((path) => path !== '/robots.txt')).toEqual(['/feed/@janedoe']);
  });

  it('extracts a Medium article page from its <article>, without the author bar or recommendations', async () => {
    const path = '/@janedoe/lessons-from-a-year-of-on-call-3f2a1b4c5d6e';
    server = await startFixtureServer({ [path]: { body: fixture('medium-article.html') } });
    const [document] = documentsOf(
      await collect(new MediumCrawler().crawl(server.url(path), testCrawlContext())),
    );
    expect(document).toMatchObject({
      platform: 'medium',
      title: 'Lessons from a year of on-call',
      canonicalUrl: 'https://medium.com/better-ops/lessons-from-a-year-of-on-call-3f2a1b4c5d6e',
      publishedAt: '2024-03-04T10:15:02.123Z',
      metadata: { author: 'Jane Doe', subtitle: 'What the pager taught me' },
    });
    const content = document?.content ?? '';
    expect(content).toContain('A year ago I joined the on-call rotation for the first time.');
    expect(content).toContain('## Write the runbook while it hurts');
    expect(content).toContain(
      '```\nkubectl rollout undo deployment/api\nkubectl rollout status deployment/api\n```',
    );
    for (const chrome of [
      'Follow',
      'min read',
      '1.2K',
      'Sign in',
      'More from Jane Doe',
      'What the pager taught me',
    ]) {
      expect(content, chrome).not.toContain(chrome);
    }
  });

  it('recognises Medium pages by their markup', () => {
    expect(isMediumPage(fixture('medium-article.html'))).toBe(true);
    expect(isMediumPage(fixture('blog-post.html'))).toBe(false);
  });
});
