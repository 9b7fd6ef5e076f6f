import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { NotFoundError } from '../../core/errors.ts';
import { resolveModel } from '../../core/registry/resolve-model.ts';
import type { Dataset, DatasetKind } from '../../core/types/dataset.ts';
import {
  buildDataset,
  type DatasetExamples,
  type ExportFormat,
  type ExportSplit,
  exportDataset,
  loadDatasetExamples,
  modelRejectedAnswerSource,
} from '../../training/datasets/index.ts';
import { print, withRuntime } from '../cli-context.ts';
import { formatTable } from '../format-table.ts';
import type { Runtime } from '../runtime.ts';
import { positiveInteger } from './documents-command.ts';

export function datasetsCommand(): Command {
  const datasets = new Command('datasets').description(
    'build, inspect and export versioned fine-tuning datasets from a feature set',
  );
  datasets
    .command('build')
    .description(
      'generate instruction or preference pairs from the cleaned documents of a feature set, filter and split them into an immutable, content-addressed dataset (building the same inputs again finds the existing dataset)',
    )
    .option(
      '-f, --feature-set <id>',
      'feature set to read (default: the one the current configuration builds)',
    )
    .addOption(
      new Option('-k, --kind <kind>', 'instruction pairs, or preference pairs (author vs. generic answer)')
        .choices(['instruction', 'preference'])
        .default('instruction'),
    )
    .addOption(
      new Option(
        '-g, --generator <generator>',
        'offline: pairs from the documents’ own structure, no model; llm: pairs written by training.generator',
      )
        .choices(['offline', 'llm'])
        .default('offline'),
    )
    .option('-a, --author <id>', 'only this author’s documents')
    .option(
      '--rejected-from <model>',
      'preference datasets: take the generic (rejected) answers from this registered model (e.g. a base model) instead of training.generator',
    )
    .option('--json', 'print the dataset record as JSON')
    .action(async function (
      this: Command,
      options: {
        featureSet?: string;
        kind: DatasetKind;
        generator: 'offline' | 'llm';
        author?: string;
        rejectedFrom?: string;
        json?: boolean;
      },
    ) {
      await withRuntime(this, async (runtime) => {
        const featureSetId = options.featureSet ?? (await runtime.currentFeatureSet()).id;
        const rejected = options.rejectedFrom
          ? await modelRejectedAnswerSource(
              await resolveModel(runtime.metadata.models, options.rejectedFrom),
              runtime,
            )
          : null;
        const progress = progressLine(process.stderr, options.json === true);
        const { dataset, created } = await buildDataset(
          { featureSetId, kind: options.kind, authorId: options.author, generator: options.generator },
          {
            metadata: runtime.metadata,
            artifacts: runtime.artifacts,
            config: runtime.config.training,
            logger: runtime.logger,
            progress: progress.update,
            ...(rejected ? { rejectedSource: rejected.source } : {}),
          },
        ).finally(async () => {
          progress.done();
          await rejected?.close();
        });
        if (options.json) {
          print(JSON.stringify({ ...dataset, created }, null, 2));
          return;
        }
        print(
          `${created ? 'built' : 'already built:'} dataset ${dataset.id}\n${describe(dataset, runtime).join('\n')}`,
        );
      });
    });
  datasets
    .command('list')
    .description('list datasets, newest first, with their kind, feature set, generator and sizes')
    .option('--json', 'print JSON')
    .action(async function (this: Command, options: { json?: boolean }) {
      await withRuntime(this, async (runtime) => {
        const rows = await runtime.metadata.datasets.list();
        if (options.json) {
          print(JSON.stringify(rows, null, 2));
          return;
        }
        if (rows.length === 0) {
          print('No datasets yet: run `twin datasets build`.');
          return;
        }
        print(
          formatTable(
            ['dataset', 'kind', 'feature set', 'generator', 'train', 'test', 'docs', 'dropped', 'created'],
            rows.map((row) => [
              row.id,
              row.recipe.kind,
              row.recipe.featureSetId,
              generatorLabel(row),
              row.sizes.train,
              row.sizes.test,
              row.sourceDocumentIds.length,
              Object.values(row.dropped).reduce((sum, count) => sum + count, 0),
              row.createdAt.slice(0, 19),
            ]),
          ),
        );
      });
    });
  datasets
    .command('show')
    .description(
      'show a dataset: its recipe (generator, prompts, filters, split), feature set, source documents, sizes, what was dropped, and a few examples',
    )
    .argument('<id>', 'dataset id (ds_…)')
    .option('-n, --examples <n>', 'how many examples to show', (value) => nonNegativeInteger(value), 3)
    .option('--json', 'print JSON')
    .action(async function (this: Command, id: string, options: { examples: number; json?: boolean }) {
      await withRuntime(this, async (runtime) => {
        const dataset = await getDataset(runtime, id);
        const examples = options.examples > 0 ? await loadDatasetExamples(runtime.artifacts, dataset) : null;
        const sample = examples ? [...examples.train, ...examples.test].slice(0, options.examples) : [];
        const documents = await runtime.metadata.featureSets.listCleaned(dataset.recipe.featureSetId, {
          ids: dataset.sourceDocumentIds,
        });
        if (options.json) {
          print(
            JSON.stringify(
              {
                ...dataset,
                sourceDocuments: documents.map(({ text: _text, ...fields }) => fields),
                examples: sample,
              },
              null,
              2,
            ),
          );
          return;
        }
        print(`dataset ${dataset.id}`);
        print(describe(dataset, runtime).join('\n'));
        print(`\nprompts (${dataset.recipe.generator.name} ${dataset.recipe.generator.version}):`);
        for (const [name, prompt] of Object.entries(dataset.recipe.generator.prompts))
          print(`  ${name.padEnd(24)} ${prompt.replace(/\n/g, '\n  '.padEnd(27))}`);
        print(`\nsource documents (${dataset.sourceDocumentIds.length}):`);
        print(
          formatTable(
            ['document', 'platform', 'category', 'title'],
            documents.map((document) => [
              document.documentId,
              document.platform,
              document.category,
              document.title,
            ]),
          ),
        );
        if (sample.length > 0) print(`\nexamples (${sample.length}):`);
        for (const example of sample) print(formatExample(example));
      });
    });
  datasets
    .command('export')
    .description(
      'write a dataset as a fine-tuning file: OpenAI chat JSONL (preference datasets: OpenAI DPO JSONL) or Alpaca JSON, to stdout or --output',
    )
    .argument('<id>', 'dataset id (ds_…)')
    .addOption(
      new Option('--format <format>', 'openai (JSONL, one conversation per line) or alpaca (JSON array)')
        .choices(['openai', 'alpaca'])
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--split <split>', 'which examples: train, test (validation file) or all')
        .choices(['train', 'test', 'all'])
        .default('train'),
    )
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--system-prompt <text>', 'system prompt for OpenAI messages; {author} is the author’s name')
    .action(async function (
      this: Command,
      id: string,
      options: { format: ExportFormat; split: ExportSplit; output?: string; systemPrompt?: string },
    ) {
      await withRuntime(this, async (runtime) => {
        const dataset = await getDataset(runtime, id);
        const examples = await loadDatasetExamples(runtime.artifacts, dataset);
        const text = exportDataset(examples, {
          format: options.format,
          split: options.split,
          authorName: await authorNameOf(runtime, dataset),
          systemPrompt: options.systemPrompt,
        });
        if (!options.output) {
          process.stdout.write(text);
          return;
        }
        await writeFile(options.output, text);
        const count = countOf(examples, options.split);
        process.stderr.write(
          `wrote ${count} ${options.split} examples of ${dataset.id} to ${options.output}\n`,
        );
      });
    });
  return datasets;
}

async function getDataset(runtime: Runtime, id: string): Promise<Dataset> {
  const dataset = await runtime.metadata.datasets.get(id);
  if (!dataset) throw new NotFoundError(`dataset ${id} not found (see \`twin datasets list\`)`);
  return dataset;
}

function describe(dataset: Dataset, runtime: Runtime): string[] {
  const { recipe } = dataset;
  const dropped = Object.entries(dataset.dropped)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([reason, count]) => `${reason} ${count}`);
  const usage = dataset.usage
    ? `${dataset.usage.promptTokens} prompt + ${dataset.usage.completionTokens} completion tokens, ${
        dataset.usage.costUsd === null ? 'cost unknown' : `$${dataset.usage.costUsd.toFixed(4)}`
      }`
    : 'no LLM used';
  return [
    `  kind         ${recipe.kind}`,
    `  generator    ${generatorLabel(dataset)} (${recipe.generator.version})`,
    `  feature set  ${recipe.featureSetId}${recipe.authorId ? `, author ${recipe.authorId}` : ''}`,
    `  documents    ${dataset.sourceDocumentIds.length}`,
    `  examples     ${dataset.sizes.train} train, ${dataset.sizes.test} test (test fraction ${recipe.split.testFraction}, seed "${recipe.split.seed}")`,
    `  filters      answers ${recipe.filters.minAnswerCharacters}–${recipe.filters.maxAnswerCharacters} characters, near-duplicates at Jaccard ≥ ${recipe.filters.nearDuplicateThreshold}`,
    `  dropped      ${dropped.join(', ') || 'nothing'}`,
    `  usage        ${usage}`,
    `  created      ${dataset.createdAt}`,
    `  examples at  ${runtime.artifacts.locate(dataset.artifactKey)}`,
  ];
}

function generatorLabel(dataset: Dataset): string {
  const { generator } = dataset.recipe;
  const rejected = generator.prompts['rejected:source'];
  return [generator.name, generator.model, rejected && `rejected by ${rejected}`].filter(Boolean).join(' ');
}

function formatExample(example: DatasetExamples['train'][number]): string {
  const indent = (text: string) => clip(text).replace(/\n/g, '\n    ');
  const lines = [`\n  [${example.kind}] ${example.sourceDocumentId}`, `  > ${indent(example.instruction)}`];
  if ('answer' in example) lines.push(`    ${indent(example.answer)}`);
  else lines.push(`  chosen:   ${indent(example.chosen)}`, `  rejected: ${indent(example.rejected)}`);
  return lines.join('\n');
}

function clip(text: string, max = 600): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function countOf(examples: DatasetExamples, split: ExportSplit): number {
  if (split === 'train') return examples.train.length;
  if (split === 'test') return examples.test.length;
  return examples.train.length + examples.test.length;
}

/** The name the system prompt gives the twin: the dataset's author, when it has exactly one. */
async function authorNameOf(runtime: Runtime, dataset: Dataset): Promise<string | null> {
  const ids = dataset.recipe.authorId
    ? [dataset.recipe.authorId]
    : [
        ...new Set(
          (
            await runtime.metadata.featureSets.listCleaned(dataset.recipe.featureSetId, {
              ids: dataset.sourceDocumentIds,
            })
          ).map((document) => document.authorId),
        ),
      ];
  if (ids.length !== 1) return null;
  const authors = await runtime.metadata.documents.listAuthors();
  return authors.find((author) => author.id === ids[0])?.name ?? null;
}

/**
 * A progress line on stderr: rewritten in place on a terminal; in logs (CI) a line per stage or per
 * tenth of the work, so an LLM build over thousands of passages does not print thousands of lines.
 */
function progressLine(stream: NodeJS.WriteStream, quiet: boolean) {
  let last = '';
  let lastLogged = '';
  const interactive = Boolean(stream.isTTY);
  return {
    update: (fraction: number, message: string) => {
      if (quiet) return;
      const line = `datasets: ${String(Math.round(fraction * 100)).padStart(3)}% ${message}`;
      if (line === last) return;
      last = line;
      if (interactive) {
        stream.write(`\r\x1b[2K${line}`);
        return;
      }
      const step = `${message.split(':')[0]} ${Math.floor(fraction * 10)}`;
      if (step === lastLogged) return;
      lastLogged = step;
      stream.write(`${line}\n`);
    },
    done: () => {
      if (!quiet && interactive && last) stream.write('\n');
    },
  };
}

function nonNegativeInteger(value: string): number {
  return value === '0' ? 0 : positiveInteger(value, '--examples');
}
