import { Command, Option } from 'commander';
import { type CrawlResult, CrawlSource, type FeatureBuildResult } from '../../core/jobs/job-contracts.ts';
import { print, withRuntime } from '../cli-context.ts';
import { followToCompletion } from '../follow-to-completion.ts';
import { formatDuration, formatTable } from '../format-table.ts';

export function crawlCommand(): Command {
  return new Command('crawl')
    .description(
      'crawl URLs, feeds, sitemaps, Medium/Substack/dev.to profiles, git repositories (URL, file:// or path) or a LinkedIn export (zip or folder) into the warehouse, then build features for what changed',
    )
    .argument('<targets...>', 'URLs, paths or archives to crawl')
    .requiredOption('-a, --author <name>', 'whose writing this is (documents are stored under this author)')
    .addOption(
      new Option('-s, --source <source>', 'force a crawler instead of choosing by URL').choices(
        CrawlSource.options,
      ),
    )
    .option(
      '--no-features',
      'only fill the warehouse: no feature build, not even by feature workers; the changes wait until `twin features build`',
    )
    .option('--json', 'print the crawl and feature results as JSON')
    .action(async function (
      this: Command,
      targets: string[],
      options: { author: string; source?: CrawlSource; features: boolean; json?: boolean },
    ) {
      await withRuntime(this, async (runtime) => {
        const job = await runtime.queue.enqueue('feature.crawl', {
          targets,
          authorName: options.author,
          source: options.source,
          buildFeatures: options.features,
        });
        const crawled = await followToCompletion(job.id, runtime, { label: 'crawl', what: 'crawl' });
        const crawl = crawled.result as CrawlResult;
        // Every build covering the crawl's changes: the crawl's own, or a worker relay's that took
        // some of them first. Followed one after the other; they share the feature queue anyway.
        const builds: FeatureBuildResult[] = [];
        for (const featureJobId of crawl.featureJobIds ?? []) {
          const built = await followToCompletion(featureJobId, runtime, {
            label: 'features',
            what: `feature build ${featureJobId}`,
          });
          builds.push(built.result as FeatureBuildResult);
        }
        const features = combinedFeatureBuilds(builds);
        if (options.json) {
          print(JSON.stringify({ crawl, features }, null, 2));
          return;
        }
        print(crawlSummary(crawl));
        if (features) print(featureSummary(features));
        if (crawl.fetched === 0 && crawl.failed.length > 0) process.exitCode = 1;
      });
    });
}

/** Several builds of one crawl's changes as one result: counts add up, rejections are listed together. */
export function combinedFeatureBuilds(builds: readonly FeatureBuildResult[]): FeatureBuildResult | null {
  const [first, ...rest] = builds;
  if (!first) return null;
  return rest.reduce(
    (sum, build) => ({
      featureSetId: sum.featureSetId,
      documents: sum.documents + build.documents,
      processed: sum.processed + build.processed,
      upToDate: sum.upToDate + build.upToDate,
      rejected: [...sum.rejected, ...build.rejected],
      chunks: sum.chunks + build.chunks,
      durationMs: sum.durationMs + build.durationMs,
      embedMs: sum.embedMs + build.embedMs,
    }),
    first,
  );
}

export function crawlSummary(crawl: CrawlResult): string {
  const lines = [
    `Crawl finished in ${formatDuration(crawl.durationMs)}: ${crawl.fetched} fetched (${crawl.created} new, ${crawl.updated} updated, ${crawl.unchanged} unchanged), ${crawl.skipped.length} skipped, ${crawl.failed.length} failed.`,
  ];
  for (const [label, entries] of [
    ['Skipped', crawl.skipped],
    ['Failed', crawl.failed],
  ] as const) {
    if (entries.length === 0) continue;
    lines.push('', `${label}:`);
    for (const entry of entries)
      lines.push(`  - ${entry.url}`, `      ${withoutUrlPrefix(entry.reason, entry.url)}`);
  }
  return lines.join('\n');
}

export function featureSummary(result: FeatureBuildResult): string {
  const lines = [
    `Features ${result.featureSetId}: ${result.processed} documents processed into ${result.chunks} chunks, ${result.upToDate} already up to date, ${result.rejected.length} rejected, in ${formatDuration(result.durationMs)} (embedding ${formatDuration(result.embedMs)}).`,
  ];
  if (result.rejected.length > 0) {
    lines.push(
      '',
      formatTable(
        ['rejected document', 'reason'],
        result.rejected.map((entry) => [entry.documentId, entry.reason]),
        80,
      ),
    );
  }
  return lines.join('\n');
}

/** Errors name their URL already; the summary lists it on the line above. */
function withoutUrlPrefix(reason: string, url: string): string {
  return reason.startsWith(`${url}: `) ? reason.slice(url.length + 2) : reason;
}
