import { Command, Option } from 'commander';
import { NotFoundError } from '../../core/errors.ts';
import { embedQuery } from '../../core/features/embed-texts.ts';
import { Category, Platform } from '../../core/types/category.ts';
import { print, withRuntime } from '../cli-context.ts';
import { positiveInteger } from './documents-command.ts';

export function searchCommand(): Command {
  return new Command('search')
    .description(
      'semantic search over a feature set: the query is cleaned and embedded exactly like the features',
    )
    .argument('<query>', 'what to look for')
    .option('-a, --author <id>', 'only this author id')
    .addOption(new Option('-p, --platform <platform>', 'only this platform').choices(Platform.options))
    .addOption(new Option('-c, --category <category>', 'only this category').choices(Category.options))
    .option('-k, --k <n>', 'how many chunks', (value) => positiveInteger(value, '--k'), 5)
    .option('--feature-set <id>', 'search this feature set instead of the current one')
    .option('--json', 'print JSON')
    .action(async function (
      this: Command,
      query: string,
      options: {
        author?: string;
        platform?: Platform;
        category?: Category;
        k: number;
        featureSet?: string;
        json?: boolean;
      },
    ) {
      await withRuntime(this, async (runtime) => {
        const featureSet = options.featureSet
          ? await runtime.metadata.featureSets.get(options.featureSet)
          : await runtime.currentFeatureSet();
        if (!featureSet)
          throw new NotFoundError(`feature set ${options.featureSet} not found (see \`twin features list\`)`);
        const stored = await runtime.metadata.featureSets.get(featureSet.id);
        if (!stored)
          throw new NotFoundError(
            `feature set ${featureSet.id} has no features yet: run \`twin crawl\` first`,
          );
        const started = performance.now();
        const vector = await embedQuery(query, await runtime.queryEmbedder(), stored);
        const embedded = performance.now();
        const hits = await runtime.vectors.search(stored.id, vector, {
          k: options.k,
          filter: { authorId: options.author, platform: options.platform, category: options.category },
        });
        const searched = performance.now();
        if (options.json) {
          print(JSON.stringify({ featureSetId: stored.id, query, hits }, null, 2));
          return;
        }
        print(
          `${hits.length} results from ${stored.id} (embed ${Math.round(embedded - started)} ms, search ${Math.round(searched - embedded)} ms)\n`,
        );
        hits.forEach((hit, index) => {
          const { payload } = hit;
          print(
            `${index + 1}. [${hit.score.toFixed(3)}] ${payload.title} — ${payload.platform}/${payload.category}, chunk ${payload.chunkIndex}`,
          );
          print(`   ${payload.url}`);
          print(
            `   ${payload.text.replace(/\s+/g, ' ').slice(0, 240)}${payload.text.length > 240 ? '…' : ''}\n`,
          );
        });
      });
    });
}
