/** The feature pipeline's public surface: crawl → warehouse → clean → chunk → embed → feature store. */

export type { CrawlContext, Crawler, CrawlOutcome } from './crawlers/crawler.ts';
export { selectCrawler } from './crawlers/crawler-dispatcher.ts';
export { HttpFetcher } from './crawlers/http-fetcher.ts';
export type { FeatureDependencies } from './feature-dependencies.ts';
export { registerFeatureJobs } from './jobs/register-feature-jobs.ts';
export { buildFeatures, cleanDocument } from './processing/build-features.ts';
export { removeDocument } from './warehouse/remove-document.ts';
export { runCrawl } from './warehouse/run-crawl.ts';
