import { describe, expect, it } from 'vitest';
import type { CrawledDocument } from '../../core/types/raw-document.ts';
import type { CrawlOutcome } from './crawler.ts';
import { withoutSharedAffixes, withoutSiteTitleAffixes } from './without-site-title-affixes.ts';

describe('withoutSharedAffixes', () => {
  it('drops the longest run of parts another title of the site ends or starts with', () => {
    expect(
      withoutSharedAffixes('Quantifying Productivity | A. Author’s blog', ['On Focus | A. Author’s blog']),
    ).toBe('Quantifying Productivity');
    expect(withoutSharedAffixes('Caching - Guide - Hedgehog', ['Install - Guide - Hedgehog'])).toBe(
      'Caching',
    );
    expect(withoutSharedAffixes('Hedgehog · Caching', ['Hedgehog · Plugins'])).toBe('Caching');
  });

  it('keeps a title with no other title to compare, or sharing nothing, or the same title twice', () => {
    expect(withoutSharedAffixes('Rust vs. Go - A Practical Comparison', [])).toBe(
      'Rust vs. Go - A Practical Comparison',
    );
    expect(withoutSharedAffixes('Rust vs. Go - A Practical Comparison', ['Zig - Hello'])).toBe(
      'Rust vs. Go - A Practical Comparison',
    );
    expect(withoutSharedAffixes('About | Blog', ['About | Blog'])).toBe('About | Blog');
    // A shared suffix must leave the other title a head of its own.
    expect(withoutSharedAffixes('Notes | Blog', ['Blog'])).toBe('Notes | Blog');
  });
});

const documentOutcome = (path: string, title: string, titleSource: string): CrawlOutcome => ({
  kind: 'document',
  document: {
    category: 'article',
    platform: 'web',
    sourceUrl: `https://blog.example${path}`,
    canonicalUrl: null,
    title,
    content: 'text',
    publishedAt: null,
    metadata: { titleSource },
  } satisfies CrawledDocument,
});

async function* stream(outcomes: CrawlOutcome[]): AsyncGenerator<CrawlOutcome> {
  yield* outcomes;
}

async function titlesOf(outcomes: CrawlOutcome[]): Promise<string[]> {
  const result: string[] = [];
  for await (const outcome of withoutSiteTitleAffixes(stream(outcomes))) {
    result.push(
      outcome.kind === 'document'
        ? `${outcome.document.title} (${outcome.document.metadata.titleSource})`
        : outcome.kind,
    );
  }
  return result;
}

describe('withoutSiteTitleAffixes', () => {
  it('holds a host’s first page until a second shows the suffix, then cuts it from both', async () => {
    expect(
      await titlesOf([
        documentOutcome('/a', 'Post A | Sam’s Garden', 'title-element'),
        { kind: 'skipped', url: 'https://blog.example/pdf', reason: 'not HTML' },
        documentOutcome('/b', 'Post B | Sam’s Garden', 'metadata'),
        documentOutcome('/c', 'Post C | Sam’s Garden', 'title-element'),
      ]),
    ).toEqual(['skipped', 'Post A (site-pattern)', 'Post B (site-pattern)', 'Post C (site-pattern)']);
  });

  it('leaves titles a heading confirmed, and a site’s only page, as they are', async () => {
    expect(
      await titlesOf([
        documentOutcome('/1', 'Part 1 – Intro to Lisp', 'heading'),
        documentOutcome('/2', 'Part 2 – Intro to Lisp', 'heading'),
        documentOutcome('/only', 'Only page | Lone Site', 'title-element'),
      ]),
    ).toEqual([
      'Part 1 – Intro to Lisp (heading)',
      'Part 2 – Intro to Lisp (heading)',
      'Only page | Lone Site (title-element)',
    ]);
  });
});
