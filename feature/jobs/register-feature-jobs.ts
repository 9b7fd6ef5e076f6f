import { drainOutbox } from '../../core/outbox/outbox-relay.ts';
import type { FeatureDependencies } from '../feature-dependencies.ts';
import { buildFeatures } from '../processing/build-features.ts';
import { runCrawl } from '../warehouse/run-crawl.ts';

const wholeCrawl = 1_000_000;

/**
 * Registers the feature pipeline's jobs on a queue. Features follow the warehouse through change
 * data capture: every created or changed document left an outbox event in its own transaction,
 * and a crawl that wants features drains the outbox once at its end, enqueueing the feature build.
 * A crawl that dies before that loses nothing: the next drain (another crawl, or the feature
 * worker's polling relay) picks the events up.
 */
export function registerFeatureJobs(dependencies: FeatureDependencies): void {
  const { queue, metadata, logger } = dependencies;
  queue.register('feature.crawl', async (payload, context) => {
    const result = await runCrawl(payload, context, dependencies);
    if (!payload.buildFeatures) return result;
    // One build for everything pending: the CLI follows the one `featureJobId` a crawl reports,
    // and an in-process queue cancels what is still waiting when the command exits.
    const jobs = await drainOutbox({ outbox: metadata.outbox, queue, logger, batchSize: wholeCrawl });
    for (const job of jobs) {
      const documents = (job.payload as { documentIds?: string[] }).documentIds?.length ?? 0;
      await context.log(`enqueued feature build ${job.id} for ${documents} documents`);
    }
    return { ...result, featureJobId: jobs[0]?.id ?? null };
  });
  queue.register('feature.build', (payload, context) => buildFeatures(payload, context, dependencies));
}
