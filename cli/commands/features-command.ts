import { Command, Option } from 'commander';
import type { FeatureBuildResult } from '../../core/jobs/job-contracts.ts';
import { Category, Platform } from '../../core/types/category.ts';
import { print, withRuntime } from '../cli-context.ts';
import { followToCompletion } from '../follow-to-completion.ts';
import { formatTable } from '../format-table.ts';
import { featureSummary } from './crawl-command.ts';

export function featuresCommand(): Command {
  const features = new Command('features').description('build and inspect versioned feature sets');
  features
    .command('build')
    .description(
      'clean, validate, chunk and embed every new or changed document into the current feature set (including those crawled with --no-features)',
    )
    .option('-a, --author <id>', 'only this author (id as shown by `twin documents list`)')
    .addOption(new Option('-p, --platform <platform>', 'only this platform').choices(Platform.options))
    .addOption(new Option('-c, --category <category>', 'only this category').choices(Category.options))
    .option('--force', 'recompute documents that are already up to date')
    .option('--json', 'print the result as JSON')
    .action(async function (
      this: Command,
      options: { author?: string; platform?: Platform; category?: Category; force?: boolean; json?: boolean },
    ) {
      await withRuntime(this, async (runtime) => {
        const job = await runtime.queue.enqueue('feature.build', {
          authorId: options.author,
          platform: options.platform,
          category: options.category,
          force: options.force ?? false,
        });
        const record = await followToCompletion(job.id, runtime, {
          label: 'features',
          what: 'feature build',
        });
        const result = record.result as FeatureBuildResult;
        print(options.json ? JSON.stringify(result, null, 2) : featureSummary(result));
      });
    });
  features
    .command('list')
    .description('list feature sets with what shapes them and how many documents and chunks they hold')
    .option('--json', 'print JSON')
    .action(async function (this: Command, options: { json?: boolean }) {
      await withRuntime(this, async (runtime) => {
        const sets = await runtime.metadata.featureSets.list();
        const current = (await runtime.currentFeatureSet()).id;
        const rows = await Promise.all(
          sets.map(async (set) => ({
            ...set,
            vectors: await runtime.vectors.count(set.id),
            current: set.id === current,
          })),
        );
        if (options.json) {
          print(JSON.stringify(rows, null, 2));
          return;
        }
        if (rows.length === 0) {
          print('No feature sets yet: run `twin crawl` or `twin features build`.');
          return;
        }
        print(
          formatTable(
            [
              'feature set',
              'current',
              'embedder',
              'dim',
              'cleaner',
              'chunking (article/post/repo)',
              'docs',
              'chunks',
              'vectors',
              'updated',
            ],
            rows.map((row) => [
              row.id,
              row.current ? '*' : '',
              row.spec.embedder.id,
              row.spec.embedder.dimensions,
              row.spec.cleanerVersion,
              (['article', 'post', 'repository'] as const)
                .map(
                  (category) =>
                    `${row.spec.chunking[category].chunkSize}/${row.spec.chunking[category].chunkOverlap}`,
                )
                .join(' '),
              row.documents,
              row.chunks,
              row.vectors,
              row.updatedAt?.slice(0, 19) ?? null,
            ]),
          ),
        );
      });
    });
  return features;
}
