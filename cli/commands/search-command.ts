import { Command, Option } from 'commander';
import { NotFoundError } from '../../core/errors.ts';
import { Category, Platform } from '../../core/types/category.ts';
import { retrieve, type SearchMode, withConfiguredRetrieval } from '../../inference/index.ts';
import { print, withRuntime } from '../cli-context.ts';
import { positiveInteger } from './documents-command.ts';

export function searchCommand(): Command {
  return new Command('search')
    .description(
      'search a feature set the way the twin retrieves (hybrid dense + keyword, MMR, the configured reranker); the query is embedded exactly like the features',
    )
    .argument('<query>', 'what to look for')
    .option('-a, --author <id>', 'only this author id')
    .addOption(new Option('-p, --platform <platform>', 'only this platform').choices(Platform.options))
    .addOption(new Option('-c, --category <category>', 'only this category').choices(Category.options))
    .option('-k, --k <n>', 'how many chunks (default: retrieval.k)', (value) => positiveInteger(value, '--k'))
    .addOption(
      new Option('--mode <mode>', 'hybrid, dense or keyword (default: retrieval.mode)').choices([
        'hybrid',
        'dense',
        'keyword',
      ]),
    )
    .option('--feature-set <id>', 'search this feature set instead of the current one')
    .option('--json', 'print JSON')
    .action(async function (
      this: Command,
      query: string,
      options: {
        author?: string;
        platform?: Platform;
        category?: Category;
        k?: number;
        mode?: SearchMode;
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
        // The serving path's retrieval, with the configured settings, reranker and query LLM, so
        // what `twin search` shows is what a chat answer would be grounded on.
        const { understanding } = runtime.inference;
        const reranker = await runtime.inference.reranker();
        const authors = await runtime.metadata.documents.listAuthors();
        const filters = {
          ...(options.author ? { authorId: [options.author] } : {}),
          ...(options.platform ? { platform: [options.platform] } : {}),
          ...(options.category ? { category: [options.category] } : {}),
        };
        const result = await retrieve(
          query,
          {
            ...withConfiguredRetrieval(runtime.config.retrieval, { k: options.k, mode: options.mode }),
            filters,
            authors: authors.map((author) => ({ id: author.id, name: author.name })),
          },
          {
            vectors: runtime.vectors,
            featureSet: stored,
            embedder: await runtime.queryEmbedder(),
            logger: runtime.logger,
            ...(reranker ? { reranker } : {}),
            ...(understanding ? { understanding } : {}),
          },
        );
        // `score` is what ordered the hits: the reranker's when one ran, else the fused RRF score.
        const hits = result.chunks.map((chunk) => ({
          id: chunk.id,
          score: chunk.scores.rerank ?? chunk.scores.fused,
          scores: chunk.scores,
          payload: chunk.payload,
        }));
        if (options.json) {
          print(
            JSON.stringify(
              {
                featureSetId: stored.id,
                query,
                queries: result.queries,
                filters: result.filters,
                hits,
                timings: result.timings,
              },
              null,
              2,
            ),
          );
          return;
        }
        const { timings } = result;
        print(
          `${hits.length} results from ${stored.id} (embed ${Math.round(timings.embedMs)} ms, search ${Math.round(timings.denseMs + timings.keywordMs + timings.fusionMs + timings.mmrMs)} ms${reranker ? `, rerank ${Math.round(timings.rerankMs)} ms` : ''})\n`,
        );
        if (Object.keys(result.filters).length > 0) print(`filters: ${JSON.stringify(result.filters)}\n`);
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
