import { errorMessage } from '../../core/errors.ts';
import type { CrawlResult, ParsedJobPayload } from '../../core/jobs/job-contracts.ts';
import type { JobContext } from '../../core/ports/job-queue.ts';
import { selectCrawler } from '../crawlers/crawler-dispatcher.ts';
import { HttpFetcher } from '../crawlers/http-fetcher.ts';
import type { FeatureDependencies } from '../feature-dependencies.ts';
import { toRawDocument } from './to-raw-document.ts';

/**
 * Crawls every target into the warehouse. One bad target or page never stops the others: each is
 * recorded as skipped or failed with its reason. Re-crawling is idempotent (see `toRawDocument`).
 */
export async function runCrawl(
  payload: ParsedJobPayload<'feature.crawl'>,
  context: Pick<JobContext, 'progress' | 'log' | 'signal'>,
  dependencies: Pick<FeatureDependencies, 'config' | 'metadata' | 'logger'>,
): Promise<CrawlResult> {
  const started = performance.now();
  const { metadata, config, logger } = dependencies;
  const author = await metadata.documents.upsertAuthor(payload.authorName);
  const fetcher = new HttpFetcher(config.crawler, logger);
  const result: CrawlResult = {
    fetched: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    skipped: [],
    failed: [],
    documentIds: [],
    durationMs: 0,
  };
  let expected = payload.targets.length;
  let seen = 0;
  const report = async () => {
    const fraction = Math.min(0.99, seen / Math.max(expected, 1));
    await context.progress(
      fraction,
      `${seen}/${expected} pages · ${result.created} new, ${result.updated} updated, ${result.unchanged} unchanged, ${result.skipped.length} skipped, ${result.failed.length} failed`,
    );
  };
  let lastReport = 0;

  for (const target of payload.targets) {
    if (context.signal.aborted) throw context.signal.reason;
    await context.log(`crawling ${target}`);
    try {
      const crawler = selectCrawler(target, payload.source ? { source: payload.source } : {});
      const outcomes = crawler.crawl(target, {
        fetcher,
        config: config.crawler,
        logger,
        signal: context.signal,
        // A feed or repository replaces its own "one page" with the number it announces.
        onDiscovered: (count) => {
          expected += Math.max(0, count - 1);
        },
      });
      for await (const outcome of outcomes) {
        seen += 1;
        switch (outcome.kind) {
          case 'document': {
            result.fetched += 1;
            const document = toRawDocument(outcome.document, author.id, new Date().toISOString());
            // Without a feature build, the changes are held: no feature worker's relay builds them.
            const upserted = await metadata.documents.upsert(document, document.fetchedAt, {
              holdChanges: !payload.buildFeatures,
            });
            result[upserted] += 1;
            if (upserted !== 'unchanged') result.documentIds.push(document.id);
            break;
          }
          case 'skipped':
            result.skipped.push({ url: outcome.url, reason: outcome.reason });
            break;
          case 'failed':
            result.failed.push({ url: outcome.url, reason: outcome.error });
            break;
          default: {
            const unreachable: never = outcome;
            throw new Error(`unknown crawl outcome ${JSON.stringify(unreachable)}`);
          }
        }
        if (performance.now() - lastReport > 200) {
          lastReport = performance.now();
          await report();
        }
      }
    } catch (error) {
      if (context.signal.aborted) throw error;
      result.failed.push({ url: target, reason: errorMessage(error) });
    }
  }
  result.durationMs = performance.now() - started;
  await report();
  await context.log(
    `crawl done: ${result.fetched} fetched, ${result.created} new, ${result.updated} updated, ${result.unchanged} unchanged, ${result.skipped.length} skipped, ${result.failed.length} failed`,
  );
  return result;
}
