import { errorMessage, SkipError } from '../../core/errors.ts';
import type { CrawlOutcome } from './crawler.ts';

/**
 * The outcome recording why `url` produced no document: refusals (robots.txt, non-HTML...) are
 * "skipped", everything else "failed". An abort is not a page's failure but the end of the crawl,
 * so it is rethrown.
 */
export function outcomeForError(url: string, error: unknown, signal?: AbortSignal): CrawlOutcome {
  if (signal?.aborted) throw signal.reason ?? error;
  if (error instanceof SkipError) return { kind: 'skipped', url, reason: error.reason };
  return { kind: 'failed', url, error: errorMessage(error) };
}
