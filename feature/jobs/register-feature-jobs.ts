import { featureBuildsCovering } from '../../core/outbox/feature-builds-covering.ts';
import type { FeatureDependencies } from '../feature-dependencies.ts';
import { buildFeatures } from '../processing/build-features.ts';
import { runCrawl } from '../warehouse/run-crawl.ts';

const wholeCrawl = 1_000_000;

/**
 * Registers the feature pipeline's jobs on a queue. Features follow the warehouse through change
 * data capture: every created or changed document left an outbox event in its own transaction,
 * and a crawl that wants features drains the outbox at its end, enqueueing the feature build. A
 * feature worker's relay may have taken some of those changes first: the crawl then reports that
 * relay's builds too, so whoever follows the crawl sees every build of what it changed. A crawl
 * that dies before that loses nothing: the next drain (another crawl, or the relay) picks them up.
 */
export function registerFeatureJobs(dependencies: FeatureDependencies): void {
  const { queue, metadata, logger } = dependencies;
  queue.register('feature.crawl', async (payload, context) => {
    const since = new Date().toISOString();
    const result = await runCrawl(payload, context, dependencies);
    if (!payload.buildFeatures) return result;
    const featureJobIds = await featureBuildsCovering({
      outbox: metadata.outbox,
      jobs: metadata.jobs,
      queue,
      logger,
      batchSize: wholeCrawl,
      documentIds: result.documentIds,
      since,
      signal: context.signal,
    });
    for (const jobId of featureJobIds)
      await context.log(`feature build ${jobId} covers this crawl's changes`);
    return { ...result, featureJobIds, featureJobId: featureJobIds[0] ?? null };
  });
  queue.register('feature.build', (payload, context) => buildFeatures(payload, context, dependencies));
}
