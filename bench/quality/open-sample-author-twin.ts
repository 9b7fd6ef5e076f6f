import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { followToCompletion } from '../../cli/follow-to-completion.ts';
import { openRuntime, type Runtime } from '../../cli/runtime.ts';
import { loadConfig } from '../../core/config/load-config.ts';
import type { CrawlResult, FeatureBuildResult } from '../../core/jobs/job-contracts.ts';
import { createLogger } from '../../core/logger.ts';
import type { Dataset } from '../../core/types/dataset.ts';
import { makeSampleRepository } from '../../datasets/sample-author/make-sample-repo.ts';
import { sampleAuthor, sampleAuthorDirectory } from '../../datasets/sample-author/sample-author.ts';
import { startSampleSites } from '../../datasets/sample-author/serve-sample-sites.ts';
import { buildDataset } from '../../training/index.ts';

export type SampleAuthorTwin = {
  runtime: Runtime;
  /** The instruction dataset `twin datasets build` makes from the sample author's features. */
  dataset: Dataset;
  setup: { documents: number; chunks: number; featureSetId: string; seconds: number };
  close(): Promise<void>;
};

/**
 * A data folder holding what the demo builds: every source of the sample author (blog, Medium,
 * Substack, dev.to, the git repository, the LinkedIn export) crawled from the local sample sites
 * into features, and the default instruction dataset (offline generator) built from them.
 */
export async function openSampleAuthorTwin(): Promise<SampleAuthorTwin> {
  const started = performance.now();
  const folder = mkdtempSync(join(tmpdir(), 'twin-quality-bench-'));
  const sites = await startSampleSites();
  let runtime: Runtime | undefined;
  let sitesOpen = true;
  try {
    const config = loadConfig({
      overrides: {
        dataDir: join(folder, 'data'),
        logLevel: 'warn',
        // The sample sites live on loopback, which the crawler refuses unless told.
        crawler: { allowLoopback: true, perHostDelayMs: 0, devtoApiBase: sites.urls.devtoApiBase },
        // A batch run serves nothing: GGUF models get every core, as `twin eval` gives them.
        models: { threads: availableParallelism() },
      },
    });
    runtime = await openRuntime(config, createLogger({ level: 'warn' }));
    const repository = await makeSampleRepository(join(folder, 'sample-repo'));
    const crawls = [
      { targets: [sites.urls.blogFeed] },
      { targets: [sites.urls.mediumFeed], source: 'medium' as const },
      { targets: [sites.urls.substackFeed], source: 'substack' as const },
      { targets: [sites.urls.devtoProfile], source: 'devto' as const },
      { targets: [repository] },
      { targets: [join(sampleAuthorDirectory, 'linkedin-export')] },
    ];
    let documents = 0;
    let chunks = 0;
    for (const crawl of crawls) {
      const job = await runtime.queue.enqueue('feature.crawl', {
        ...crawl,
        authorName: sampleAuthor.name,
        buildFeatures: true,
      });
      const result = (await followToCompletion(job.id, runtime, { label: 'crawl', what: 'crawl' }))
        .result as CrawlResult;
      if (result.fetched === 0) throw new Error(`crawling ${crawl.targets[0]} fetched nothing`);
      documents += result.fetched;
      for (const featureJobId of result.featureJobIds ?? []) {
        const built = await followToCompletion(featureJobId, runtime, {
          label: 'features',
          what: `feature build ${featureJobId}`,
        });
        chunks += (built.result as FeatureBuildResult).chunks;
      }
    }
    await sites.close();
    sitesOpen = false;
    const featureSetId = (await runtime.currentFeatureSet()).id;
    const { dataset } = await buildDataset(
      { featureSetId, kind: 'instruction', generator: 'offline' },
      {
        metadata: runtime.metadata,
        artifacts: runtime.artifacts,
        config: runtime.config.training,
        logger: runtime.logger,
      },
    );
    const opened = runtime;
    return {
      runtime: opened,
      dataset,
      setup: { documents, chunks, featureSetId, seconds: (performance.now() - started) / 1000 },
      close: async () => {
        await opened.close();
        rmSync(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await runtime?.close();
    if (sitesOpen) await sites.close();
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
}
