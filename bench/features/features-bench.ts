import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRuntime } from '../../cli/runtime.ts';
import { loadConfig } from '../../core/config/load-config.ts';
import { chunkDocument } from '../../core/features/chunk-document.ts';
import { embedTexts } from '../../core/features/embed-texts.ts';
import type { CrawlResult, FeatureBuildResult } from '../../core/jobs/job-contracts.ts';
import { createLogger } from '../../core/logger.ts';
import { startSampleSites } from '../../datasets/sample-author/serve-sample-sites.ts';
import { measure, round } from '../measure.ts';
import { runSearchBench } from './search-bench.ts';

const benchPages = 500;

/**
 * crawl: pages/s of the crawl job over a 500-page local site, against plain concurrent GETs of the
 * same pages; ingest: chunks/s of clean→chunk→embed→store against the same embedder on the same
 * chunk texts; search: sqlite-vec against a Float32Array scan at 10k and 100k vectors.
 */
export async function runFeaturesBench(): Promise<Record<string, unknown>> {
  const sites = await startSampleSites({ benchPages });
  const folder = mkdtempSync(join(tmpdir(), 'twin-bench-'));
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: folder,
      logLevel: 'warn',
      // The politeness delay would measure our sleep, not the crawler: it is off for the bench.
      crawler: { allowLoopback: true, perHostDelayMs: 0 },
    },
  });
  const runtime = await openRuntime(config, createLogger({ level: 'warn' }));
  try {
    const sitemap = `${sites.baseUrl}/bench/sitemap.xml`;
    const pageUrls = Array.from(
      { length: benchPages },
      (_, index) => `${sites.baseUrl}/bench/p/${index + 1}.html`,
    );

    process.stderr.write(`crawl: ${benchPages} pages, concurrency ${config.crawler.concurrency}\n`);
    // Two baselines: plain GETs at the crawler's global concurrency, and at its per-host limit
    // (all 500 pages sit on one host, so the per-host limit is what actually bounds the crawl).
    const raw = await measure(() => fetchAll(pageUrls, config.crawler.concurrency));
    const rawPerHost = await measure(() => fetchAll(pageUrls, config.crawler.perHostConcurrency));
    const crawl = await measure(async () => {
      const job = await runtime.queue.enqueue('feature.crawl', {
        targets: [sitemap],
        authorName: 'Bench Author',
        buildFeatures: false,
      });
      return (await runtime.queue.waitFor(job.id)).result as CrawlResult;
    });
    const crawlPagesPerSecond = crawl.value.fetched / (crawl.durationMs / 1000);
    const rawPagesPerSecond = benchPages / (raw.durationMs / 1000);
    const rawPerHostPagesPerSecond = benchPages / (rawPerHost.durationMs / 1000);

    process.stderr.write('ingest: feature build over the crawled pages\n');
    const embedder = await runtime.bulkEmbedder();
    await embedTexts(embedder, ['warm up every worker', 'so model loading is not timed', 'a', 'b']);
    const ingest = await measure(async () => {
      const job = await runtime.queue.enqueue('feature.build', {});
      return (await runtime.queue.waitFor(job.id)).result as FeatureBuildResult;
    });
    const featureSetId = ingest.value.featureSetId;
    const texts = await chunkTexts(runtime, featureSetId);
    const rawEmbed = await measure(() => embedTexts(embedder, texts));
    const pipelineChunksPerSecond = ingest.value.chunks / (ingest.durationMs / 1000);
    const rawChunksPerSecond = texts.length / (rawEmbed.durationMs / 1000);

    process.stderr.write('search: 10k and 100k vectors\n');
    const search = await runSearchBench();
    return {
      crawl: {
        pages: crawl.value.fetched,
        failed: crawl.value.failed.length,
        concurrency: config.crawler.concurrency,
        perHostConcurrency: config.crawler.perHostConcurrency,
        pagesPerSecond: round(crawlPagesPerSecond, 1),
        peakRssMb: crawl.peakRssMb,
        baseline: {
          what: 'plain concurrent GET of the same pages',
          pagesPerSecond: round(rawPagesPerSecond, 1),
          peakRssMb: raw.peakRssMb,
        },
        ratioToBaseline: round(crawlPagesPerSecond / rawPagesPerSecond, 3),
        perHostBaseline: {
          what: 'plain GET of the same pages at the per-host concurrency',
          pagesPerSecond: round(rawPerHostPagesPerSecond, 1),
          peakRssMb: rawPerHost.peakRssMb,
        },
        ratioToPerHostBaseline: round(crawlPagesPerSecond / rawPerHostPagesPerSecond, 3),
      },
      ingest: {
        documents: ingest.value.processed,
        chunks: ingest.value.chunks,
        embedder: embedder.id,
        chunksPerSecond: round(pipelineChunksPerSecond, 1),
        peakRssMb: ingest.peakRssMb,
        baseline: {
          what: 'the same embedder on the same chunk texts',
          chunksPerSecond: round(rawChunksPerSecond, 1),
          peakRssMb: rawEmbed.peakRssMb,
        },
        ratioToBaseline: round(pipelineChunksPerSecond / rawChunksPerSecond, 3),
        goal: 'ratio ≥ 0.9',
      },
      search,
    };
  } finally {
    await runtime.close();
    await sites.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

async function fetchAll(urls: string[], concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < urls.length) {
        const url = urls[next++] as string;
        const response = await fetch(url);
        await response.arrayBuffer();
      }
    }),
  );
}

/** The chunk texts the build embedded, recomputed with the same versioned chunker. */
async function chunkTexts(
  runtime: Awaited<ReturnType<typeof openRuntime>>,
  featureSetId: string,
): Promise<string[]> {
  const featureSet = await runtime.metadata.featureSets.get(featureSetId);
  if (!featureSet) throw new Error(`feature set ${featureSetId} missing after the build`);
  const cleaned = await runtime.metadata.featureSets.listCleaned(featureSetId);
  return cleaned.flatMap((document) => chunkDocument(document, featureSet.spec).map((chunk) => chunk.text));
}
