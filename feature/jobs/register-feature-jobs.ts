import type { FeatureDependencies } from '../feature-dependencies.ts';
import { buildFeatures } from '../processing/build-features.ts';
import { runCrawl } from '../warehouse/run-crawl.ts';

/**
 * Registers the feature pipeline's jobs on a queue. A crawl that created or changed documents
 * enqueues a feature build for exactly those documents, so features follow the warehouse.
 */
export function registerFeatureJobs(dependencies: FeatureDependencies): void {
  const { queue } = dependencies;
  queue.register('feature.crawl', async (payload, context) => {
    const result = await runCrawl(payload, context, dependencies);
    if (payload.buildFeatures && result.documentIds.length > 0) {
      const job = await queue.enqueue('feature.build', { documentIds: result.documentIds });
      await context.log(`enqueued feature build ${job.id} for ${result.documentIds.length} documents`);
      return { ...result, featureJobId: job.id };
    }
    return result;
  });
  queue.register('feature.build', (payload, context) => buildFeatures(payload, context, dependencies));
}
