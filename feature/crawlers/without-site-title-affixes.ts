import type { CrawledDocument } from '../../core/types/raw-document.ts';
import { comparable, joinParts, type TitleSource, titleParts } from './article-title.ts';
import type { CrawlOutcome } from './crawler.ts';

// Titles the page stated without anything confirming them; a platform's marked title, one the
// page's own heading confirms, or a feed's title are left as they are.
const unconfirmed = new Set<unknown>(['metadata', 'title-element', 'readability'] satisfies TitleSource[]);

/** A run of parts at the end (`suffix`) or start of a title, as compared. */
function edgeRun(parts: string[], length: number, end: 'suffix' | 'prefix'): string {
  const run = end === 'suffix' ? parts.slice(parts.length - length) : parts.slice(0, length);
  return run.map(comparable).join(' | ');
}

/**
 * `title` without the longest run of parts at its end, then at its start, that another of the
 * site's titles (`others`) has at the same end after a different head: "Quantifying Productivity |
 * A. Author's blog" beside "On Focus | A. Author's blog" loses " | A. Author's blog".
 */
export function withoutSharedAffixes(title: string, others: readonly string[]): string {
  const split = titleParts(title);
  const splits = others
    .map(titleParts)
    .filter((other) => comparable(joinParts(other, 0, other.parts.length)) !== comparable(title));
  const shared = (length: number, end: 'suffix' | 'prefix') =>
    splits.some(
      (other) =>
        other.parts.length > length &&
        edgeRun(other.parts, length, end) === edgeRun(split.parts, length, end),
    );
  let from = 0;
  let to = split.parts.length;
  for (let length = to - 1; length >= 1; length -= 1) {
    if (shared(length, 'suffix')) {
      to -= length;
      break;
    }
  }
  for (let length = to - 1; length >= 1; length -= 1) {
    if (shared(length, 'prefix')) {
      from = length;
      break;
    }
  }
  return joinParts(split, from, to);
}

function titleSourceOf(document: CrawledDocument): unknown {
  return document.metadata.titleSource;
}

/**
 * Cuts from the documents of a crawl the title suffix (or prefix) that a site repeats on its
 * pages, for titles no heading or metadata already cleaned. It needs a second page of a host to
 * see the repetition, so a host's first document waits for the second (or for the end of the
 * crawl); later documents pass straight through. Other outcomes are never held back.
 */
export async function* withoutSiteTitleAffixes(
  outcomes: AsyncIterable<CrawlOutcome>,
): AsyncGenerator<CrawlOutcome> {
  const titles = new Map<string, string[]>();
  const waiting = new Map<string, Extract<CrawlOutcome, { kind: 'document' }>>();
  const cut = (outcome: Extract<CrawlOutcome, { kind: 'document' }>, host: string): CrawlOutcome => {
    const { document } = outcome;
    const title = withoutSharedAffixes(document.title, titles.get(host) ?? []);
    if (title === document.title || title === '') return outcome;
    const titleSource: TitleSource = 'site-pattern';
    return { ...outcome, document: { ...document, title, metadata: { ...document.metadata, titleSource } } };
  };
  for await (const outcome of outcomes) {
    if (outcome.kind !== 'document' || !unconfirmed.has(titleSourceOf(outcome.document))) {
      yield outcome;
      continue;
    }
    const host = new URL(outcome.document.sourceUrl).host;
    const seen = titles.get(host) ?? [];
    seen.push(outcome.document.title);
    titles.set(host, seen);
    const first = waiting.get(host);
    if (seen.length === 1) {
      waiting.set(host, outcome);
      continue;
    }
    if (first) {
      waiting.delete(host);
      yield cut(first, host);
    }
    yield cut(outcome, host);
  }
  // A site with a single page in this crawl: nothing to compare its title with.
  yield* waiting.values();
}
